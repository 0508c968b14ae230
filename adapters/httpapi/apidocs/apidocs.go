// Package apidocs is the API documentation page: Redoc's standalone bundle,
// vendored from the npm registry by update.sh and embedded in the binary,
// rendering the OpenAPI document the server publishes. It works offline
// (no CDN, no web fonts) under a Content-Security-Policy that allows only
// what Redoc needs.
//
// The package speaks net/http only; the HTTP adapter decides which paths
// reach it.
package apidocs

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

var (
	//go:embed redoc.standalone.js
	redocJS []byte
	//go:embed init.js
	initJS []byte
	//go:embed LICENSE-redoc.txt
	licence []byte
	//go:embed VERSION
	version string
)

// Version is the vendored Redoc release.
func Version() string { return strings.TrimSpace(version) }

// Cache policies: asset names carry a hash of their content, so they never
// change and browsers may keep them for a year; the page names the current
// assets and carries a fresh nonce, so it is never reused unchecked.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=3600"
	cachePage      = "no-store"
)

// cspTemplate is the page's policy; %s is the per-response style nonce.
//   - script-src 'self': the bundle and init.js, no inline script, no eval.
//   - style-src 'self' 'nonce-…': Redoc injects <style> elements; init.js,
//     loaded before the bundle, tags each with this nonce, so nothing
//     inline that the page's own scripts did not make is applied.
//   - worker-src blob:: Redoc's search index runs in a worker it builds
//     from a Blob URL.
//   - connect-src 'self': the OpenAPI document, fetched from this origin.
//   - img-src 'self' data:: Redoc's icons are inline SVG data URIs.
//
// No other host appears: there is nothing to load from one.
const cspTemplate = "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-%s'; " +
	"img-src 'self' data:; connect-src 'self'; worker-src blob:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// assetCSP is sent with the assets: opened directly, none may do anything.
const assetCSP = "default-src 'none'; sandbox"

var page = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<link rel="license" href="{{.Licence}}">
<style nonce="{{.Nonce}}">body{margin:0;padding:0}</style>
</head>
<body>
<noscript><p>This page needs JavaScript. The OpenAPI document it shows is at <a href="{{.Spec}}">{{.Spec}}</a>.</p></noscript>
<div id="redoc" data-spec-url="{{.Spec}}"></div>
<script src="{{.Init}}" nonce="{{.Nonce}}"></script>
<script src="{{.Bundle}}"></script>
</body>
</html>
`))

// asset is one served file, its gzip variant made on first use.
type asset struct {
	body  []byte
	ctype string
	etag  string
	cache string
	gzip  func() []byte
}

func newAsset(body []byte, ctype, cache string) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: cache}
	// Lazily: the bundle is over a megabyte and most processes never serve
	// the docs, so start-up does not pay for compressing it.
	a.gzip = sync.OnceValue(func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		return b.Bytes()
	})
	return a
}

// Page serves the docs page and its assets.
type Page struct {
	prefix, spec, title string
	bundle, init        string // asset names, fingerprinted
	assets              map[string]*asset
	modTime             time.Time
}

// LicenceName is the unfingerprinted name of Redoc's licence file.
const LicenceName = "LICENSE-redoc.txt"

// New builds the page served at prefix (e.g. "/api/docs"), its assets
// under prefix+"/", showing the OpenAPI document at specURL.
func New(prefix, specURL, title string) *Page {
	p := &Page{prefix: strings.TrimSuffix(prefix, "/"), spec: specURL, title: title, assets: map[string]*asset{}, modTime: time.Now().UTC().Truncate(time.Second)}
	p.bundle = fingerprint("redoc", "js", redocJS)
	p.init = fingerprint("init", "js", initJS)
	const js = "text/javascript; charset=utf-8"
	p.assets[p.bundle] = newAsset(redocJS, js, cacheImmutable)
	p.assets[p.init] = newAsset(initJS, js, cacheImmutable)
	p.assets[LicenceName] = newAsset(licence, "text/plain; charset=utf-8", cacheShort)
	return p
}

func fingerprint(base, ext string, body []byte) string {
	sum := sha256.Sum256(body)
	return base + "." + hex.EncodeToString(sum[:6]) + "." + ext
}

// BundleURL and InitURL are the paths the page loads its scripts from.
func (p *Page) BundleURL() string { return p.prefix + "/" + p.bundle }

// InitURL is the path of the script that starts Redoc.
func (p *Page) InitURL() string { return p.prefix + "/" + p.init }

// ServeIndex writes the page, with a fresh style nonce in its CSP.
func (p *Page) ServeIndex(w http.ResponseWriter, r *http.Request) error {
	nonce, err := newNonce()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = page.Execute(&b, map[string]string{
		"Title": p.title, "Spec": p.spec, "Nonce": nonce,
		"Bundle": p.BundleURL(), "Init": p.InitURL(), "Licence": p.prefix + "/" + LicenceName,
	})
	if err != nil {
		return fmt.Errorf("render docs page: %w", err)
	}
	h := w.Header()
	h.Set("Content-Security-Policy", fmt.Sprintf(cspTemplate, nonce))
	h.Set("Cache-Control", cachePage)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
	return nil
}

// ServeAsset serves the asset name (the path after prefix+"/") and reports
// whether there is one. http.ServeContent does the conditional and range
// work.
func (p *Page) ServeAsset(w http.ResponseWriter, r *http.Request, name string) bool {
	a, ok := p.assets[name]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Security-Policy", assetCSP)
	h.Set("Cache-Control", a.cache)
	h.Set("Content-Type", a.ctype)
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if r.Header.Get("Range") == "" && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		if gz := a.gzip(); len(gz) < len(a.body) {
			body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", p.modTime, bytes.NewReader(body))
	return true
}

// acceptsGzip reads Accept-Encoding for gzip (or *) without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

func newNonce() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("docs page nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
