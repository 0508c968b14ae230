// Package web is the Onit web frontend: its files, embedded in the binary
// or read from ONIT_STATIC_ROOT, fingerprinted once at start-up the way
// Django's ManifestStaticFilesStorage does it, and served the way
// WhiteNoise serves them (immutable caching of fingerprinted names,
// precompressed gzip and brotli, conditional and range requests).
//
// The package speaks net/http only; the HTTP adapter decides which paths
// reach it.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
)

//go:embed assets
var embedded embed.FS

// CSP is the Content-Security-Policy of the app shell: the page may run
// only the app's own scripts and styles (no inline code at all), talk only
// to its own origin and never be framed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// assetCSP is sent with every static file: a file opened directly (an SVG
// is a document that could carry script) gets no powers at all.
const assetCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// Cache policies: fingerprinted names never change, so browsers and CDNs
// may keep them for a year without asking; unhashed names may change on
// the next deploy, so they are cached briefly (WhiteNoise's max-age=60).
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=60"
	cacheIndex     = "no-cache"
)

// asset is one file ready to serve: its final text and its compressed
// variants, all computed at start-up.
type asset struct {
	body    []byte
	gzip    []byte // nil when not worth it
	br      []byte // nil when not worth it
	ctype   string
	etag    string // strong, from the content; variants add a suffix
	modTime time.Time
	vary    bool // compressible type: responses vary by Accept-Encoding
}

// entry is how a request name maps to an asset.
type entry struct {
	*asset
	immutable bool
}

// Handler serves the static files and the app shell.
type Handler struct {
	prefix   string
	files    map[string]entry
	index    *asset
	manifest map[string]string
}

// Embedded returns the frontend built into the binary.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // "assets" is a literal directory of this package
	}
	return sub
}

// Config is where the frontend's files are served from.
type Config struct {
	URL  string // URL prefix, starting and ending with a slash
	Root string // a directory to serve instead of the embedded files; "": embedded
}

// ConfigError is a Config value New refuses; Field is "URL" or "Root".
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// New builds the handler: the embedded frontend, or the files of
// cfg.Root. Embedded files carry no time, so the start-up time stands in
// as their Last-Modified (ETags, from the content, are what caches rely on
// across instances).
func New(cfg Config) (*Handler, error) {
	if err := checkPrefix(cfg.URL); err != nil {
		return nil, &ConfigError{Field: "URL", Err: err}
	}
	if cfg.Root == "" {
		return NewFS(Embedded(), cfg.URL, time.Now())
	}
	st, err := os.Stat(cfg.Root)
	if err != nil || !st.IsDir() {
		return nil, &ConfigError{Field: "Root", Err: fmt.Errorf("%q is not a readable directory", cfg.Root)}
	}
	h, err := NewFS(os.DirFS(cfg.Root), cfg.URL, time.Time{})
	if err != nil {
		return nil, &ConfigError{Field: "Root", Err: err}
	}
	return h, nil
}

// checkPrefix accepts a URL path that starts and ends with a slash. A CDN
// URL would also need the CSP to name that origin, which is not supported.
func checkPrefix(p string) error {
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || p == "/" || strings.Contains(p, "//") {
		return fmt.Errorf("%q must be a path like /static/ (starting and ending with a slash, not the root)", p)
	}
	for _, bad := range []string{"/api/", "/healthz/", "/readyz/", "/metrics/"} {
		if p == bad || strings.HasPrefix(p, bad) {
			return fmt.Errorf("%q collides with the API or operations paths", p)
		}
	}
	return nil
}

// NewFS builds the handler over any file system: it reads every regular
// file (dot-files and symbolic links are skipped, so a stray .env or a
// link out of the directory is never served), fingerprints them and
// precompresses them. Nothing is read per request. modTime zero means
// each file's own modification time.
func NewFS(fsys fs.FS, prefix string, modTime time.Time) (*Handler, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	sources := map[string]*source{}
	times := map[string]time.Time{}
	var total int64
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if total += info.Size(); total > maxTotalSize {
			return fmt.Errorf("static files exceed %d MiB", maxTotalSize>>20)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sources[name] = &source{name: name, body: body}
		times[name] = info.ModTime()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read static files: %w", err)
	}
	if len(sources) == 0 {
		return nil, errNoAssets
	}
	exists := func(n string) bool { _, ok := sources[n]; return ok && n != indexName }
	for name, src := range sources {
		if src.refs, err = findRefs(name, src.body, prefix, exists); err != nil {
			return nil, err
		}
	}
	bodies, hashed, err := fingerprint(sources, prefix)
	if err != nil {
		return nil, err
	}
	h := &Handler{prefix: prefix, files: map[string]entry{}, manifest: hashed}
	for name, body := range bodies {
		mt := modTime
		if mt.IsZero() {
			mt = times[name]
		}
		a, err := newAsset(name, body, mt)
		if err != nil {
			return nil, err
		}
		if name == indexName {
			h.index = a
			continue
		}
		h.files[name] = entry{asset: a}
		h.files[hashed[name]] = entry{asset: a, immutable: true}
	}
	return h, nil
}

func newAsset(name string, body []byte, modTime time.Time) (*asset, error) {
	a := &asset{body: body, ctype: contentType(name, body), modTime: modTime.UTC().Truncate(time.Second)}
	a.etag = `"` + contentHash(body) + `"`
	if !compressible(a.ctype) {
		return a, nil
	}
	a.vary = true
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	a.gzip = worthIt(gz.Bytes(), body)
	var br bytes.Buffer
	// Quality 9 rather than 11: almost the same size, several times faster,
	// and this runs at every start-up over whatever ONIT_STATIC_ROOT holds.
	// The window fits the file: the default 4 MiB window makes the encoder
	// allocate tens of megabytes per asset, which showed up as the server's
	// peak RSS.
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: 9, LGWin: brotliWindow(len(body))})
	if _, err := bw.Write(body); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	a.br = worthIt(br.Bytes(), body)
	return a, nil
}

// brotliWindow is the smallest window (log2, within brotli's 10..24) that
// holds the whole body, so nothing is lost by not using the default.
func brotliWindow(n int) int {
	w := 10
	for w < 24 && 1<<w < n {
		w++
	}
	return w
}

// worthIt keeps a compressed variant only when it saves at least 5 %, as
// WhiteNoise does: decompressing costs the client something too.
func worthIt(compressed, plain []byte) []byte {
	if len(compressed) >= len(plain)*95/100 {
		return nil
	}
	return compressed
}

// contentTypes is consulted before the system's MIME tables, which differ
// between machines (/etc/mime.types maps .js differently across distros).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
	".webmanifest": "application/manifest+json",
}

func contentType(name string, body []byte) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return http.DetectContentType(body)
}

func compressible(ctype string) bool {
	t, _, _ := strings.Cut(ctype, ";")
	switch t {
	case "image/svg+xml", "application/json", "application/manifest+json", "application/wasm",
		"image/vnd.microsoft.icon", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(t, "text/")
}

// Prefix is the URL path the static files are served under (ONIT_STATIC_URL).
func (h *Handler) Prefix() string { return h.prefix }

// Manifest maps every static file's name to its fingerprinted name, like
// Django's staticfiles.json. The map is a copy.
func (h *Handler) Manifest() map[string]string {
	m := make(map[string]string, len(h.manifest))
	for k, v := range h.manifest {
		m[k] = v
	}
	return m
}

// HasIndex reports whether there is an app shell to serve.
func (h *Handler) HasIndex() bool { return h.index != nil }

// ServeFile serves the static file name (the request path after the
// prefix, already decoded) and reports whether it exists. Only names in
// the manifest are served, so no request can reach the file system.
func (h *Handler) ServeFile(w http.ResponseWriter, r *http.Request, name string) bool {
	if !ValidName(name) {
		return false
	}
	e, ok := h.files[name]
	if !ok {
		return false
	}
	cache := cacheShort
	if e.immutable {
		cache = cacheImmutable
	}
	w.Header().Set("Content-Security-Policy", assetCSP)
	serve(w, r, e.asset, cache)
	return true
}

// RootFiles are the files browsers and crawlers ask for at the site's
// root rather than under the static prefix. They are served from the
// assets of the same name, never the app shell: a crawler reading HTML as
// robots.txt, or a browser caching HTML as the icon, is what this avoids.
var RootFiles = []string{"robots.txt", "favicon.ico"}

// ServeRoot serves one of RootFiles at the root and reports whether it
// exists (ONIT_STATIC_ROOT may lack it). Its name is not fingerprinted, so
// it is cached briefly.
func (h *Handler) ServeRoot(w http.ResponseWriter, r *http.Request, name string) bool {
	if !slices.Contains(RootFiles, name) {
		return false
	}
	e, ok := h.files[name]
	if !ok {
		return false
	}
	w.Header().Set("Content-Security-Policy", assetCSP)
	serve(w, r, e.asset, cacheShort)
	return true
}

// IsFileName reports whether the last element of a URL path names a file
// (a known extension, such as /apple-touch-icon.png or /sitemap.xml):
// such a request wants that file, and the app shell would only be
// mistaken for it. Client-side routes never end in an extension.
func IsFileName(urlPath string) bool {
	ext := strings.ToLower(path.Ext(urlPath))
	if _, ok := contentTypes[ext]; ok {
		return ext != ".html"
	}
	return ext == ".xml" || ext == ".php" || ext == ".env"
}

// ServeIndex serves the app shell and reports whether there is one. It is
// revalidated on every use (no-cache), as it names the current
// fingerprinted files.
func (h *Handler) ServeIndex(w http.ResponseWriter, r *http.Request) bool {
	if h.index == nil {
		return false
	}
	w.Header().Set("Content-Security-Policy", CSP)
	serve(w, r, h.index, cacheIndex)
	return true
}

// ValidName reports whether a decoded request name could be a static file:
// a clean relative slash-separated path, no "..", no empty or dot-file
// elements, no backslashes or control characters. It is a second wall: the
// manifest lookup alone would refuse all of these.
func ValidName(name string) bool {
	if !fs.ValidPath(name) || name == "." {
		return false
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f || c == '\\' || c == ':' {
			return false
		}
	}
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") {
			return false
		}
	}
	return true
}

// serve picks the representation and lets http.ServeContent do the
// conditional (ETag, Last-Modified → 304), HEAD and Range work.
func serve(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	hdr := w.Header()
	hdr.Set("Cache-Control", cache)
	hdr.Set("Content-Type", a.ctype)
	body, etag := a.body, a.etag
	if a.vary {
		hdr.Add("Vary", "Accept-Encoding")
		// A byte range of a compressed stream is of little use to anyone,
		// so ranges are answered from the identity representation.
		if r.Header.Get("Range") == "" {
			ae := r.Header.Get("Accept-Encoding")
			switch {
			case a.br != nil && accepts(ae, "br"):
				body, etag = a.br, variantTag(a.etag, "br")
				hdr.Set("Content-Encoding", "br")
			case a.gzip != nil && accepts(ae, "gzip"):
				body, etag = a.gzip, variantTag(a.etag, "gz")
				hdr.Set("Content-Encoding", "gzip")
			}
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", a.modTime, bytes.NewReader(body))
}

// variantTag gives each encoding its own strong ETag: the bytes differ.
func variantTag(tag, enc string) string { return strings.TrimSuffix(tag, `"`) + "-" + enc + `"` }

// accepts reports whether an Accept-Encoding header allows coding, with
// q-values: "gzip;q=0" refuses gzip, "*" stands for anything not named.
func accepts(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch name = strings.TrimSpace(name); {
		case strings.EqualFold(name, coding):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}
