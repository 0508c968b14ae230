package web_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/onitapp/onit/adapters/web"
)

var start = time.Date(2026, 11, 26, 18, 20, 0, 0, time.UTC)

// long makes text big enough that compressing it pays off.
var long = strings.Repeat("/* padding so compression is worth it */\n", 40)

func sampleFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html": {Data: []byte(`<!doctype html><link rel="icon" href="img/logo.svg"><link rel="stylesheet" href='css/app.css'>` +
			`<script type="module" src="js/app.js"></script><a href="/">home</a><a href="#main">skip</a>` +
			`<img src="/static/img/logo.svg?v=1#x"><link href="https://cdn.example.com/x.css">`)},
		"css/app.css": {Data: []byte(`@import "base.css";
.a { background: url(../img/logo.svg); }
.b { background: url("../img/logo.svg?x=1#frag"); }
.c { background: url('data:image/png;base64,AAAA'); }
.d { background: url(https://example.com/x.png); }
.e { background: url(/static/img/logo.svg); }
/* .old { background: url(missing.png); } */
` + long)},
		"css/base.css":    {Data: []byte("body { color: red; }\n" + long)},
		"img/logo.svg":    {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"js/app.js":       {Data: []byte("import { a } from './util.js';\nimport '../lib/side.js';\nconst m = await import(\"./util.js\");\nexport * from './util.js';\nimport x from 'bare-module';\n" + long)},
		"js/util.js":      {Data: []byte("export const a = 1;\n")},
		"lib/side.js":     {Data: []byte("console.log('side');\n")},
		"img/photo.png":   {Data: []byte("\x89PNG\r\n\x1a\n not really compressible \x00\x01\x02")},
		".env":            {Data: []byte("ONIT_SECRET_KEY=leaked")},
		".git/config":     {Data: []byte("[core]")},
		"css/.hidden.css": {Data: []byte("x")},
	}
}

func newHandler(t *testing.T, fsys fs.FS) *web.Handler {
	t.Helper()
	h, err := web.NewFS(fsys, "/static/", start)
	if err != nil {
		t.Fatalf("NewFS: %v", err)
	}
	return h
}

// get serves /static/<name> (or the app shell for name "") and records it.
func get(t *testing.T, h *web.Handler, method, name string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	// ServeFile takes the decoded name; the URL itself plays no part.
	req := httptest.NewRequestWithContext(t.Context(), method, "/static/", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	var ok bool
	if name == "" {
		ok = h.ServeIndex(rec, req)
	} else {
		ok = h.ServeFile(rec, req, name)
	}
	if !ok {
		rec.Code = http.StatusNotFound
	}
	return rec
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// The fingerprinted name carries the first 12 hex digits of the MD5 of the
// served (rewritten) content, before the extension, as Django names it.
func TestFingerprintedNamesHashTheServedContent(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	m := h.Manifest()
	want := []string{"css/app.css", "css/base.css", "img/logo.svg", "img/photo.png", "js/app.js", "js/util.js", "lib/side.js"}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("manifest names = %v, want %v (no index.html, no dot-files)", got, want)
	}
	shape := regexp.MustCompile(`^(.*)\.([0-9a-f]{12})(\.[a-z]+)$`)
	for name, hashed := range m {
		sm := shape.FindStringSubmatch(hashed)
		if sm == nil || sm[1]+sm[3] != name {
			t.Errorf("%s → %s: not name.<12 hex>.ext", name, hashed)
			continue
		}
		rec := get(t, h, "GET", hashed)
		if rec.Code != 200 {
			t.Errorf("GET %s = %d", hashed, rec.Code)
			continue
		}
		if sum := md5hex(rec.Body.Bytes())[:12]; sum != sm[2] {
			t.Errorf("%s: hash in name %s, MD5 of served content %s", name, sm[2], sum)
		}
	}
}

func TestReferencesAreRewritten(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	m := h.Manifest()
	base := func(n string) string { return path.Base(m[n]) }
	tests := []struct {
		file     string
		contains []string
		lacks    []string
	}{
		{"", []string{
			`href="/static/` + m["img/logo.svg"] + `"`,
			`href='/static/` + m["css/app.css"] + `'`,
			`src="/static/` + m["js/app.js"] + `"`,
			`src="/static/` + m["img/logo.svg"] + `?v=1#x"`,
			`<a href="/">`, `href="#main"`, `href="https://cdn.example.com/x.css"`,
		}, []string{`"js/app.js"`, `"css/app.css"`}},
		{"css/app.css", []string{
			`@import "` + base("css/base.css") + `"`,
			`url(../img/` + base("img/logo.svg") + `)`,
			`url("../img/` + base("img/logo.svg") + `?x=1#frag")`,
			`url('data:image/png;base64,AAAA')`,
			`url(https://example.com/x.png)`,
			`url(/static/` + m["img/logo.svg"] + `)`,
			`url(missing.png)`, // inside a comment: left alone, and no error
		}, []string{`url(../img/logo.svg)`}},
		{"js/app.js", []string{
			`from './` + base("js/util.js") + `'`,
			`import '../lib/` + base("lib/side.js") + `'`,
			`import("./` + base("js/util.js") + `")`,
			`export * from './` + base("js/util.js") + `'`,
			`from 'bare-module'`,
		}, []string{`'./util.js'`}},
	}
	for _, tt := range tests {
		t.Run("file "+tt.file, func(t *testing.T) {
			body := get(t, h, "GET", tt.file).Body.String()
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("missing %s in:\n%s", s, body)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("still has %s", s)
				}
			}
		})
	}
}

// A change to a file changes the name of every file that refers to it, so
// no cached page can combine old and new.
func TestChangePropagatesToReferrers(t *testing.T) {
	t.Parallel()
	a := newHandler(t, sampleFS()).Manifest()
	fsys := sampleFS()
	fsys["img/logo.svg"] = &fstest.MapFile{Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>`)}
	b := newHandler(t, fsys).Manifest()
	for name, changed := range map[string]bool{"img/logo.svg": true, "css/app.css": true, "css/base.css": false, "js/app.js": false} {
		if (a[name] != b[name]) != changed {
			t.Errorf("%s: %s → %s, changed should be %v", name, a[name], b[name], changed)
		}
	}
}

func TestBrokenReferencesFailStartUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"missing css target", fstest.MapFS{"a.css": {Data: []byte(`x{background:url(nope.png)}`)}}, "nope.png"},
		{"missing js import", fstest.MapFS{"a.js": {Data: []byte(`import './nope.js';`)}}, "nope.js"},
		{"missing shell script", fstest.MapFS{"index.html": {Data: []byte(`<script src="app.js"></script>`)}}, "app.js"},
		{"reference above the root", fstest.MapFS{"a.css": {Data: []byte(`x{background:url(../../etc/passwd)}`)}}, "etc/passwd"},
		{"cycle", fstest.MapFS{"a.css": {Data: []byte(`@import "b.css";`)}, "b.css": {Data: []byte(`@import "a.css";`)}}, "cycle"},
		{"dot-file target", fstest.MapFS{"a.css": {Data: []byte(`@import ".secret.css";`)}, ".secret.css": {Data: []byte(`x`)}}, ".secret.css"},
		{"empty", fstest.MapFS{".env": {Data: []byte("x")}}, "no static files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := web.NewFS(tt.files, "/static/", start)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestBadPrefixIsASettingsError(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "static/", "/static", "/", "https://cdn.example.com/static/", "/api/static/", "/a//b/"} {
		_, err := web.New(web.Config{URL: p})
		var ce *web.ConfigError
		if !errors.As(err, &ce) || ce.Field != "URL" {
			t.Errorf("URL %q: err = %v, want a ConfigError for URL", p, err)
		}
	}
	_, err := web.New(web.Config{URL: "/static/", Root: filepath.Join(t.TempDir(), "missing")})
	var ce *web.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Root" {
		t.Errorf("missing root: err = %v, want a ConfigError for Root", err)
	}
}

func TestCachingHeaders(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	m := h.Manifest()
	tests := []struct {
		name, file, cache, ctype string
		vary                     bool
	}{
		{"fingerprinted css", m["css/app.css"], "public, max-age=31536000, immutable", "text/css; charset=utf-8", true},
		{"plain css", "css/app.css", "public, max-age=60", "text/css; charset=utf-8", true},
		{"fingerprinted js", m["js/app.js"], "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", true},
		{"svg", m["img/logo.svg"], "public, max-age=31536000, immutable", "image/svg+xml", true},
		{"png", "img/photo.png", "public, max-age=60", "image/png", false},
		{"app shell", "", "no-cache", "text/html; charset=utf-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, h, "GET", tt.file)
			hd := rec.Header()
			if rec.Code != 200 || hd.Get("Cache-Control") != tt.cache || hd.Get("Content-Type") != tt.ctype {
				t.Errorf("%d Cache-Control %q Content-Type %q, want 200 %q %q", rec.Code, hd.Get("Cache-Control"), hd.Get("Content-Type"), tt.cache, tt.ctype)
			}
			if got := hd.Get("Vary") == "Accept-Encoding"; got != tt.vary {
				t.Errorf("Vary = %q, want Accept-Encoding: %v", hd.Get("Vary"), tt.vary)
			}
			if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(hd.Get("ETag")) {
				t.Errorf("ETag = %q, want a strong content hash", hd.Get("ETag"))
			}
			if hd.Get("Last-Modified") != start.Format(http.TimeFormat) {
				t.Errorf("Last-Modified = %q", hd.Get("Last-Modified"))
			}
			csp := hd.Get("Content-Security-Policy")
			if tt.file == "" && csp != web.CSP || tt.file != "" && !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

func TestConditionalHeadAndRange(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	name := h.Manifest()["js/util.js"]
	full := get(t, h, "GET", name)
	etag := full.Header().Get("ETag")
	tests := []struct {
		name   string
		method string
		hdr    []string
		status int
		body   string
	}{
		{"etag matches", "GET", []string{"If-None-Match", etag}, 304, ""},
		{"etag list matches", "GET", []string{"If-None-Match", `"other", ` + etag}, 304, ""},
		{"etag differs", "GET", []string{"If-None-Match", `"other"`}, 200, "export const a = 1;\n"},
		{"not modified since", "GET", []string{"If-Modified-Since", start.Add(time.Hour).Format(http.TimeFormat)}, 304, ""},
		{"modified since", "GET", []string{"If-Modified-Since", start.Add(-time.Hour).Format(http.TimeFormat)}, 200, "export const a = 1;\n"},
		{"head", "HEAD", nil, 200, ""},
		{"range", "GET", []string{"Range", "bytes=7-11"}, 206, "const"},
		{"range past the end", "GET", []string{"Range", "bytes=500-"}, 416, ""},
		{"if-range stale", "GET", []string{"Range", "bytes=7-11", "If-Range", `"stale"`}, 200, "export const a = 1;\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, h, tt.method, name, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status != 416 && rec.Body.String() != tt.body {
				t.Errorf("body %q, want %q", rec.Body, tt.body)
			}
			if tt.method == "HEAD" && rec.Header().Get("Content-Length") != "20" {
				t.Errorf("HEAD Content-Length = %q, want 20", rec.Header().Get("Content-Length"))
			}
			if tt.status == 206 && rec.Header().Get("Content-Range") != "bytes 7-11/20" {
				t.Errorf("Content-Range = %q", rec.Header().Get("Content-Range"))
			}
		})
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	name := h.Manifest()["css/app.css"]
	plain := get(t, h, "GET", name).Body.Bytes()
	tests := []struct {
		name, accept, encoding string
	}{
		{"none", "", ""},
		{"gzip", "gzip", "gzip"},
		{"browser", "gzip, deflate, br, zstd", "br"},
		{"brotli refused", "br;q=0, gzip", "gzip"},
		{"gzip refused", "gzip;q=0", ""},
		{"star", "*", "br"},
		{"star but not br", "*, br;q=0", "gzip"},
		{"identity only", "identity", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, h, "GET", name, "Accept-Encoding", tt.accept)
			if got := rec.Header().Get("Content-Encoding"); got != tt.encoding {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.encoding)
			}
			var r io.Reader = rec.Body
			switch tt.encoding {
			case "gzip":
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			case "br":
				r = brotli.NewReader(rec.Body)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("decoded body differs from the plain one (err %v)", err)
			}
			if tt.encoding != "" && rec.Body.Len() >= len(plain) {
				t.Errorf("compressed %d bytes, plain %d", rec.Body.Len(), len(plain))
			}
			// Each representation has its own validator, and answers 304 to it.
			again := get(t, h, "GET", name, "Accept-Encoding", tt.accept, "If-None-Match", rec.Header().Get("ETag"))
			if again.Code != 304 {
				t.Errorf("revalidation = %d, want 304", again.Code)
			}
		})
	}
	// A range is served from the identity bytes, whatever is accepted.
	rec := get(t, h, "GET", name, "Accept-Encoding", "gzip, br", "Range", "bytes=0-9")
	if rec.Code != 206 || rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != string(plain[:10]) {
		t.Errorf("range with gzip accepted: %d %q %q", rec.Code, rec.Header().Get("Content-Encoding"), rec.Body)
	}
}

func TestOnlyManifestFilesAreServed(t *testing.T) {
	t.Parallel()
	h := newHandler(t, sampleFS())
	for _, name := range []string{
		".env", ".git/config", "css/.hidden.css", "css", "css/", "", "index.html", "../.env", "css/../.env",
		"./css/app.css", "css//app.css", "/css/app.css", `css\app.css`, "css/app.css\x00", "css/app.000000000000.css",
		"CSS/APP.CSS", "c:/x",
	} {
		if name == "" {
			continue // the app shell, tested elsewhere
		}
		if rec := get(t, h, "GET", name); rec.Code != 404 {
			t.Errorf("%q served with %d", name, rec.Code)
		}
	}
}

func TestValidName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"app.css": true, "js/views/board.js": true, "img/logo.02f8f7426638.svg": true,
		"": false, ".": false, "..": false, "../x": false, "a/../b": false, "a/./b": false, "/a": false, "a/": false,
		"a//b": false, `a\b`: false, "a\x00b": false, "a\nb": false, ".env": false, "a/.git/x": false, "c:x": false,
	}
	for name, want := range tests {
		if got := web.ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

// A directory given by ONIT_STATIC_ROOT is read the same way; links and
// dot-files in it are never served, and its files' own times are used.
func TestStaticRootDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", `<script type="module" src="main.js"></script>`)
	write("main.js", `console.log(1)`)
	write(".env", "SECRET=1")
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "main.js"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{URL: "/assets/", Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	m := h.Manifest()
	if len(m) != 1 || m["main.js"] == "" {
		t.Fatalf("manifest = %v, want only main.js", m)
	}
	if body := get(t, h, "GET", "").Body.String(); !strings.Contains(body, `src="/assets/`+m["main.js"]+`"`) {
		t.Errorf("shell = %s", body)
	}
	if lm := get(t, h, "GET", "main.js").Header().Get("Last-Modified"); lm != mtime.Format(http.TimeFormat) {
		t.Errorf("Last-Modified = %q, want the file's time", lm)
	}
	for _, name := range []string{"link.txt", ".env"} {
		if rec := get(t, h, "GET", name); rec.Code != 404 {
			t.Errorf("%s served (%d)", name, rec.Code)
		}
	}
}

// The built-in frontend must start: every reference resolves, and nothing
// in the shell needs the CSP to allow inline code.
func TestEmbeddedFrontend(t *testing.T) {
	t.Parallel()
	h, err := web.New(web.Config{URL: "/static/"})
	if err != nil {
		t.Fatal(err)
	}
	m := h.Manifest()
	for _, n := range []string{"css/app.css", "js/app.js", "img/logo.svg", "js/i18n.js"} {
		if m[n] == "" {
			t.Errorf("%s missing from the manifest", n)
		}
	}
	shell := get(t, h, "GET", "").Body.String()
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:[^>](?:[^s]|s[^r]|sr[^c]))*>`), // a script tag without src
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
	} {
		if loc := bad.FindString(shell); loc != "" {
			t.Errorf("app shell has inline code the CSP forbids: %s", loc)
		}
	}
	// Every module the shell loads, directly or not, is a fingerprinted file.
	spec := regexp.MustCompile(`(?:from|import)\s*\(?\s*['"](\.{1,2}/[^'"]+)['"]`)
	for name, hashed := range m {
		if path.Ext(name) != ".js" {
			continue
		}
		body := get(t, h, "GET", hashed).Body.String()
		if strings.Contains(body, "innerHTML") || strings.Contains(body, "setAttribute('style'") {
			t.Errorf("%s writes HTML or inline styles; build nodes with dom.js instead", name)
		}
		for _, sm := range spec.FindAllStringSubmatch(body, -1) {
			target := path.Join(path.Dir(hashed), sm[1])
			if rec := get(t, h, "GET", target); rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%s imports %s, which is not served as a fingerprinted file", name, sm[1])
			}
		}
	}
}

// Every language of the frontend has every UI string.
func TestFrontendDictionariesAgree(t *testing.T) {
	t.Parallel()
	src, err := fs.ReadFile(web.Embedded(), "js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?ms)^  (en|es|fr|de): \{\n(.*?)^  \},`)
	key := regexp.MustCompile(`(?m)^    ([a-z_]+):`)
	keys := map[string][]string{}
	for _, b := range block.FindAllStringSubmatch(string(src), -1) {
		for _, k := range key.FindAllStringSubmatch(b[2], -1) {
			keys[b[1]] = append(keys[b[1]], k[1])
		}
	}
	if len(keys) != 4 || len(keys["en"]) < 50 {
		t.Fatalf("parsed %d languages, %d English keys: has i18n.js changed shape?", len(keys), len(keys["en"]))
	}
	slices.Sort(keys["en"])
	for _, lang := range []string{"es", "fr", "de"} {
		slices.Sort(keys[lang])
		if !slices.Equal(keys[lang], keys["en"]) {
			t.Errorf("%s keys differ from en:\n%v\n%v", lang, keys[lang], keys["en"])
		}
	}
	// And every key the code uses exists.
	used := regexp.MustCompile(`\bt\('([a-z_]+)'`)
	for _, dir := range []string{"js", "js/views"} {
		entries, _ := fs.ReadDir(web.Embedded(), dir)
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			body, _ := fs.ReadFile(web.Embedded(), dir+"/"+e.Name())
			for _, u := range used.FindAllStringSubmatch(string(body), -1) {
				if _, found := slices.BinarySearch(keys["en"], u[1]); !found {
					t.Errorf("%s/%s uses t('%s'), which en lacks", dir, e.Name(), u[1])
				}
			}
		}
	}
}

// BenchmarkNew measures start-up's fingerprinting and precompression; its
// B/op is what the server's peak RSS pays at boot (a 4 MiB brotli window
// once made it ~380 MB per start).
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := web.New(web.Config{URL: "/static/"}); err != nil {
			b.Fatal(err)
		}
	}
}
