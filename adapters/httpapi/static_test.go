package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/onitapp/onit/adapters/web"
)

func newStaticServer(t *testing.T) (*Server, *web.Handler) {
	t.Helper()
	h, err := web.NewFS(fstest.MapFS{
		"index.html":   {Data: []byte(`<!doctype html><link rel="stylesheet" href="css/app.css"><script type="module" src="js/app.js"></script>`)},
		"css/app.css":  {Data: []byte(`body{background:url(../img/logo.svg)}`)},
		"img/logo.svg": {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"js/app.js":    {Data: []byte(`import './util.js';`)},
		"js/util.js":   {Data: []byte(`export {};`)},
		"robots.txt":   {Data: []byte("User-agent: *\nDisallow: /\n")},
		"favicon.ico":  {Data: []byte("\x00\x00\x01\x00icon")},
		".env":         {Data: []byte(`ONIT_SECRET_KEY=leaked`)},
	}, "/static/", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, testSecurity())
	s.MountStatic(h)
	return s, h
}

func TestStaticFilesThroughTheRouter(t *testing.T) {
	t.Parallel()
	s, h := newStaticServer(t)
	m := h.Manifest()
	tests := []struct {
		name, path, cache, ctype string
	}{
		{"fingerprinted", "/static/" + m["css/app.css"], "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{"plain name", "/static/css/app.css", "public, max-age=60", "text/css; charset=utf-8"},
		{"nested module", "/static/" + m["js/util.js"], "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), "GET", tt.path, "")
			if rec.Code != 200 || rec.Header().Get("Cache-Control") != tt.cache || rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("%d %q %q", rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
			}
			// The server's own middleware still runs on static files.
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Request-ID") == "" {
				t.Errorf("security headers or request ID missing: %v", rec.Header())
			}
			head := do(t, s.Handler(), "HEAD", tt.path, "")
			if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != rec.Header().Get("Content-Length") {
				t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
			}
			again := do(t, s.Handler(), "GET", tt.path, "", "If-None-Match", rec.Header().Get("ETag"))
			if again.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: %d, want 304", again.Code)
			}
		})
	}
	gz := do(t, s.Handler(), "GET", "/static/css/app.css", "", "Accept-Encoding", "gzip")
	if gz.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary = %q", gz.Header().Get("Vary"))
	}
	rg := do(t, s.Handler(), "GET", "/static/js/util.js", "", "Range", "bytes=0-5")
	if rg.Code != http.StatusPartialContent || rg.Body.String() != "export" {
		t.Errorf("Range: %d %q", rg.Code, rg.Body)
	}
}

// Nothing outside the manifest is reachable, however the path is spelled;
// every refusal is the usual 404 problem document.
func TestStaticTraversalIsNotFound(t *testing.T) {
	t.Parallel()
	s, _ := newStaticServer(t)
	for _, p := range []string{
		"/static/../.env",
		"/static/%2e%2e/.env",
		"/static/%2E%2E/%2Eenv",
		"/static/..%2f.env",
		"/static/..%2F..%2Fgo.mod",
		"/static/css%2fapp.css",
		"/static/css%5capp.css",
		`/static/..\.env`,
		`/static/..\..\go.mod`,
		"/static/css/app.css%00",
		"/static/%00",
		"/static/.env",
		"/static/./css/app.css",
		"/static/css//app.css",
		"/static//etc/passwd",
		"/static/",
		"/static/css/",
		"/static",
		"/static/index.html",
		"/static/css/app.000000000000.css",
		"/static/..;/.env",
	} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), "GET", p, "")
			if rec.Code != http.StatusNotFound {
				t.Fatalf("status %d, want 404; body %.80q", rec.Code, rec.Body)
			}
			decodeProblem(t, rec)
			if strings.Contains(rec.Body.String(), "leaked") {
				t.Error("the secret leaked")
			}
		})
	}
}

// /robots.txt and /favicon.ico are the files, not the app shell; any other
// path naming a file is a 404 problem, so crawlers and browsers asking for
// /sitemap.xml or /apple-touch-icon.png never cache HTML in its place.
func TestRootFilesAreFilesNotTheShell(t *testing.T) {
	t.Parallel()
	s, _ := newStaticServer(t)
	tests := []struct {
		path, ctype, body string
	}{
		{"/robots.txt", "text/plain; charset=utf-8", "User-agent: *\nDisallow: /\n"},
		{"/favicon.ico", "image/vnd.microsoft.icon", "\x00\x00\x01\x00icon"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), "GET", tt.path, "")
			if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.ctype || rec.Body.String() != tt.body {
				t.Fatalf("%d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "public, max-age=60" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
			if head := do(t, s.Handler(), "HEAD", tt.path, ""); head.Code != 200 || head.Body.Len() != 0 {
				t.Errorf("HEAD: %d with %d bytes", head.Code, head.Body.Len())
			}
		})
	}
	for _, p := range []string{"/apple-touch-icon.png", "/sitemap.xml", "/projects/1/logo.svg", "/wp-login.php", "/.env"} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), "GET", p, "")
			if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}

	// A static root without them answers 404, not the shell.
	bare, err := web.NewFS(fstest.MapFS{"index.html": {Data: []byte(`<!doctype html>`)}}, "/static/", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s2 := newTestServer(t, testSecurity())
	s2.MountStatic(bare)
	for _, p := range []string{"/robots.txt", "/favicon.ico"} {
		if rec := do(t, s2.Handler(), "GET", p, ""); rec.Code != 404 {
			t.Errorf("%s without the file: %d, want 404", p, rec.Code)
		}
	}
}

// The app shell answers every client-side route; the API and operations
// paths keep their problem documents and their 405s.
func TestIndexFallbackAndReservedPaths(t *testing.T) {
	t.Parallel()
	s, h := newStaticServer(t)
	m := h.Manifest()
	shell := []string{"/", "/login", "/signup?next=%2F", "/projects/42", "/projects/42/", "/some/deep/client/route", "/healthzz", "/apis", "/reset-password?token=a.b"}
	for _, p := range shell {
		t.Run("shell "+p, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), "GET", p, "")
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if rec.Header().Get("Cache-Control") != "no-cache" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
			csp := rec.Header().Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %s", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if !strings.Contains(rec.Body.String(), `src="/static/`+m["js/app.js"]+`"`) {
				t.Errorf("shell does not load the fingerprinted script: %s", rec.Body)
			}
			if rec.Header().Get("X-Frame-Options") != "DENY" {
				t.Errorf("X-Frame-Options = %q", rec.Header().Get("X-Frame-Options"))
			}
		})
	}
	if rec := do(t, s.Handler(), "HEAD", "/projects/1", ""); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD shell: %d with %d bytes", rec.Code, rec.Body.Len())
	}

	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/nope", 404},
		{"GET", "/api/v1/projects/1/nope/deeper", 404},
		{"GET", "/api", 404},
		{"GET", "/api/", 404},
		{"GET", "/%61pi/v1/nope", 404},
		{"POST", "/api/v1/nope", 404},
		{"DELETE", "/api/v2/anything", 404},
		{"GET", "/metrics", 404},
		{"GET", "/readyz/x", 404},
		{"GET", "/healthz/", 404},
		{"DELETE", "/healthz", 405},
		{"POST", "/api/openapi.json", 405},
		{"POST", "/projects/1", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			rec := do(t, s.Handler(), tt.method, tt.path, "")
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := decodeProblem(t, rec)
			if p.Status != tt.status {
				t.Errorf("problem status %d", p.Status)
			}
			if tt.status == 404 && rec.Header().Get("Allow") != "" {
				t.Errorf("404 with Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
	if rec := do(t, s.Handler(), "GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("/healthz = %d: the catch-all must not shadow real routes", rec.Code)
	}
}
