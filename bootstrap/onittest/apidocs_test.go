package onittest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/httpapi/apidocs"
	"github.com/onitapp/onit/bootstrap/onittest"
)

var (
	// srcOrHref finds every URL the page names.
	srcOrHref  = regexp.MustCompile(`(?i)\s(?:src|href|data-spec-url)="([^"]*)"`)
	styleNonce = regexp.MustCompile(`style-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'`)
)

// cspDirectives splits a policy into directive name → sources.
func cspDirectives(policy string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

// The docs page is HTML under a CSP that allows scripts from this origin
// only, styles only from this origin or with this response's nonce, and
// nothing from any other host; everything it names is same-origin.
func TestAPIDocsPage(t *testing.T) {
	app := onittest.New(t)
	r := app.Do(t, http.MethodGet, "/api/docs", nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs = %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store (the nonce is per response)", cc)
	}
	policy := r.Header.Get("Content-Security-Policy")
	csp := cspDirectives(policy)
	want := map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"connect-src":     "'self'",
		"worker-src":      "blob:",
		"img-src":         "'self' data:",
		"object-src":      "",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	}
	for name, sources := range want {
		if name == "object-src" {
			continue // covered by default-src 'none'
		}
		if got := strings.Join(csp[name], " "); got != sources {
			t.Errorf("CSP %s = %q, want %q (policy %q)", name, got, sources, policy)
		}
	}
	if strings.Contains(policy, "http") || strings.Contains(policy, "unsafe") || strings.Contains(policy, "*") {
		t.Errorf("CSP names another host or an unsafe source: %q", policy)
	}
	m := styleNonce.FindStringSubmatch(policy)
	if m == nil {
		t.Fatalf("CSP has no style nonce: %q", policy)
	}
	body := string(r.Body)
	if !strings.Contains(body, `<style nonce="`+m[1]+`">`) || !strings.Contains(body, `nonce="`+m[1]+`"></script>`) {
		t.Errorf("the page does not carry its CSP's nonce %s:\n%s", m[1], body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Errorf("the page has inline script or style attributes:\n%s", body)
	}
	again := app.Do(t, http.MethodGet, "/api/docs", nil)
	if m2 := styleNonce.FindStringSubmatch(again.Header.Get("Content-Security-Policy")); m2 == nil || m2[1] == m[1] {
		t.Errorf("the nonce is reused across responses: %q then %q", m[1], again.Header.Get("Content-Security-Policy"))
	}

	urls := srcOrHref.FindAllStringSubmatch(body, -1)
	if len(urls) < 4 {
		t.Fatalf("the page names %d URLs, want the bundle, init script, licence and document:\n%s", len(urls), body)
	}
	var scripts []string
	for _, u := range urls {
		if !strings.HasPrefix(u[1], "/") || strings.HasPrefix(u[1], "//") {
			t.Errorf("the page names %q, not a same-origin path", u[1])
			continue
		}
		if strings.HasSuffix(u[1], ".js") {
			scripts = append(scripts, u[1])
		}
		if got := app.Do(t, http.MethodGet, u[1], nil); got.Status != http.StatusOK {
			t.Errorf("GET %s (named by the page) = %d", u[1], got.Status)
		}
	}
	if len(scripts) != 2 {
		t.Fatalf("scripts = %v, want the bundle and init.js", scripts)
	}
}

// The bundle is served as JavaScript under a fingerprinted name, cached
// for a year, gzipped when asked, revalidated by ETag; unknown names are
// problem-document 404s.
func TestAPIDocsAssets(t *testing.T) {
	app := onittest.New(t)
	page := apidocs.New("/api/docs", "/api/openapi.json", "Onit API")
	bundle := page.BundleURL()
	if !regexp.MustCompile(`^/api/docs/redoc\.[0-9a-f]{12}\.js$`).MatchString(bundle) {
		t.Fatalf("bundle URL %q is not fingerprinted", bundle)
	}
	r := app.Do(t, http.MethodGet, bundle, nil, "Accept-Encoding", "identity")
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d", bundle, r.Status)
	}
	for k, v := range map[string]string{
		"Content-Type":  "text/javascript; charset=utf-8",
		"Cache-Control": "public, max-age=31536000, immutable",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r.Header.Get("Content-Encoding") != "" || !bytes.Contains(r.Body, []byte("Redoc")) || len(r.Body) < 500_000 {
		t.Errorf("identity body: %d bytes, encoding %q", len(r.Body), r.Header.Get("Content-Encoding"))
	}
	etag := r.Header.Get("ETag")
	if nm := app.Do(t, http.MethodGet, bundle, nil, "Accept-Encoding", "identity", "If-None-Match", etag); nm.Status != http.StatusNotModified {
		t.Errorf("If-None-Match %s = %d, want 304", etag, nm.Status)
	}

	gz := app.Do(t, http.MethodGet, bundle, nil, "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || len(gz.Body) >= len(r.Body)/2 {
		t.Fatalf("gzip: encoding %q, %d bytes of %d", gz.Header.Get("Content-Encoding"), len(gz.Body), len(r.Body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, r.Body) {
		t.Errorf("gzip body does not decode to the bundle (err %v)", err)
	}
	if gz.Header.Get("ETag") == etag {
		t.Error("the gzip variant has the identity ETag")
	}

	lic := app.Do(t, http.MethodGet, "/api/docs/"+apidocs.LicenceName, nil)
	if lic.Status != http.StatusOK || !strings.HasPrefix(lic.Header.Get("Content-Type"), "text/plain") ||
		!bytes.Contains(lic.Body, []byte("redoc@"+apidocs.Version())) || !bytes.Contains(lic.Body, []byte("MIT License")) {
		t.Errorf("licence: %d %q %.200s", lic.Status, lic.Header.Get("Content-Type"), lic.Body)
	}

	for _, p := range []string{"/api/docs/redoc.standalone.js", "/api/docs/..%2fopenapi.json", "/api/docs/nope.js"} {
		nf := app.Do(t, http.MethodGet, p, nil)
		if nf.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, nf.Status)
			continue
		}
		nf.Problem(t)
	}
}
