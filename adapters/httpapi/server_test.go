package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
)

type fakeCheck struct {
	name string
	err  error
}

func (f fakeCheck) Name() string               { return f.name }
func (f fakeCheck) Ping(context.Context) error { return f.err }

type sample struct {
	Title    string `json:"title" validate:"required,max=5"`
	Priority string `json:"priority" validate:"omitempty,oneof=low high"`
	Count    int    `json:"count" validate:"gte=0,max=10"`
}

func newTestServer(t *testing.T, sec SecurityConfig, checks ...Checker) *Server {
	t.Helper()
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{HTTP: testHTTP(), Security: sec}
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), cat, checks, func(api *echo.Group) {
		api.GET("/panic", func(echo.Context) error { panic("boom") })
		api.POST("/sample", func(c echo.Context) error {
			var in sample
			if err := bind(c, &in); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, in)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testHTTP is the test environment's timeouts (no drain delay).
func testHTTP() HTTPConfig {
	return HTTPConfig{Addr: ":8080", ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 75 * time.Second, RequestTimeout: 10 * time.Second}
}

// testSecurity is what the test environment's defaults give the server.
func testSecurity() SecurityConfig {
	return SecurityConfig{ContentTypeNosniff: true, ReferrerPolicy: "same-origin", CrossOriginOpener: "same-origin", FrameOptions: "DENY"}
}

// productionSecurity is what production's defaults give the server.
func productionSecurity() SecurityConfig {
	return SecurityConfig{HSTSSeconds: 31536000, HSTSIncludeSubdomains: true, HSTSPreload: true,
		ProxySSLHeader: "X-Forwarded-Proto", ContentTypeNosniff: true, ReferrerPolicy: "same-origin",
		CrossOriginOpener: "same-origin", FrameOptions: "DENY"}
}

func do(t *testing.T, h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem: %v: %s", err, rec.Body)
	}
	if p.Status != rec.Code || p.Title == "" || p.Detail == "" || !strings.HasPrefix(p.Type, "urn:onit:problem:") {
		t.Fatalf("incomplete problem %+v for status %d", p, rec.Code)
	}
	return p
}

func TestProblems(t *testing.T) {
	s := newTestServer(t, productionSecurity())
	h := s.Handler()
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		hdr       []string
		status    int
		wantField string
		wantCode  string
	}{
		{name: "unknown route", method: "GET", path: "/api/v1/nope", status: 404},
		{name: "panic", method: "GET", path: "/api/v1/panic", status: 500},
		{name: "malformed json", method: "POST", path: "/api/v1/sample", body: `{"title":`, status: 400},
		{name: "trailing garbage", method: "POST", path: "/api/v1/sample", body: `{"title":"a"} {}`, status: 400},
		{name: "unknown field", method: "POST", path: "/api/v1/sample", body: `{"title":"a","colour":"red"}`, status: 400, wantField: "colour", wantCode: "unknown_field"},
		{name: "duplicate key", method: "POST", path: "/api/v1/sample", body: `{"title":"a","title":"b"}`, status: 400, wantField: "title", wantCode: "duplicate_field"},
		{name: "wrong type", method: "POST", path: "/api/v1/sample", body: `{"title":5}`, status: 400, wantField: "title", wantCode: "wrong_type"},
		{name: "int overflow", method: "POST", path: "/api/v1/sample", body: `{"title":"a","count":9223372036854775808}`, status: 400, wantField: "count", wantCode: "wrong_type"},
		{name: "invalid utf8", method: "POST", path: "/api/v1/sample", body: "{\"title\":\"\xff\"}", status: 400},
		{name: "empty body", method: "POST", path: "/api/v1/sample", body: " ", status: 400},
		{name: "required", method: "POST", path: "/api/v1/sample", body: `{}`, status: 422, wantField: "title", wantCode: "required"},
		{name: "too long", method: "POST", path: "/api/v1/sample", body: `{"title":"abcdefgh"}`, status: 422, wantField: "title", wantCode: "max"},
		{name: "enum", method: "POST", path: "/api/v1/sample", body: `{"title":"a","priority":"meh"}`, status: 422, wantField: "priority", wantCode: "oneof"},
		{name: "not json", method: "POST", path: "/api/v1/sample", body: `title=a`, hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "too large", method: "POST", path: "/api/v1/sample", body: `{"title":"` + strings.Repeat("a", 1<<20) + `"}`, status: 413},
		{name: "method not allowed", method: "DELETE", path: "/healthz", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, tt.method, tt.path, tt.body, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := decodeProblem(t, rec)
			if tt.status == 500 && strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("internal error details leaked: %s", rec.Body)
			}
			if tt.wantField != "" {
				if len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField || p.Errors[0].Code != tt.wantCode || p.Errors[0].Message == "" {
					t.Errorf("errors = %+v, want field %s code %s", p.Errors, tt.wantField, tt.wantCode)
				}
			}
		})
	}
}

func TestAllValidationFailuresReportedAtOnce(t *testing.T) {
	s := newTestServer(t, SecurityConfig{})
	rec := do(t, s.Handler(), "POST", "/api/v1/sample", `{"title":"abcdefgh","priority":"meh","count":11}`)
	p := decodeProblem(t, rec)
	if len(p.Errors) != 3 {
		t.Errorf("got %d field errors, want 3: %+v", len(p.Errors), p.Errors)
	}
}

func TestProblemIsTranslated(t *testing.T) {
	s := newTestServer(t, SecurityConfig{})
	en := decodeProblem(t, do(t, s.Handler(), "GET", "/api/v1/nope", ""))
	rec := do(t, s.Handler(), "GET", "/api/v1/nope", "", "Accept-Language", "es-ES,es;q=0.9")
	es := decodeProblem(t, rec)
	if rec.Header().Get("Content-Language") != "es" {
		t.Errorf("Content-Language = %q, want es", rec.Header().Get("Content-Language"))
	}
	if es.Title == en.Title || es.Detail == en.Detail {
		t.Errorf("Spanish problem not translated: %+v vs %+v", es, en)
	}
}

func TestRequestID(t *testing.T) {
	s := newTestServer(t, SecurityConfig{})
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"generated", "", false},
		{"echoed", "abc-123", true},
		{"too long is replaced", strings.Repeat("a", 200), false},
		{"control characters are replaced", "a\tb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.sent != "" {
				hdr = []string{"X-Request-ID", tt.sent}
			}
			got := do(t, s.Handler(), "GET", "/healthz", "", hdr...).Header().Get("X-Request-ID")
			if got == "" || (got == tt.sent) != tt.echoed {
				t.Errorf("X-Request-ID = %q (sent %q), echoed want %v", got, tt.sent, tt.echoed)
			}
		})
	}
	// Generated IDs never repeat, within one server or across two.
	other := newTestServer(t, SecurityConfig{})
	seen := map[string]bool{}
	for i := range 200 {
		srv := s
		if i%2 == 1 {
			srv = other
		}
		id := do(t, srv.Handler(), "GET", "/healthz", "").Header().Get("X-Request-ID")
		if seen[id] || !validRequestID(id) {
			t.Fatalf("generated X-Request-ID %q repeats or is not valid", id)
		}
		seen[id] = true
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		name     string
		checks   []Checker
		draining bool
		status   int
		mention  string
	}{
		{name: "all up", checks: []Checker{fakeCheck{name: "mysql"}, fakeCheck{name: "redis"}}, status: 200},
		{name: "redis down", checks: []Checker{fakeCheck{name: "mysql"}, fakeCheck{name: "redis", err: errors.New("dial")}}, status: 503, mention: "redis"},
		{name: "mysql down", checks: []Checker{fakeCheck{name: "mysql", err: errors.New("dial")}, fakeCheck{name: "redis"}}, status: 503, mention: "mysql"},
		{name: "draining", checks: []Checker{fakeCheck{name: "mysql"}}, draining: true, status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, SecurityConfig{}, tt.checks...)
			s.draining.Store(tt.draining)
			rec := do(t, s.Handler(), "GET", "/readyz", "")
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != 200 {
				p := decodeProblem(t, rec)
				if tt.mention != "" && !strings.Contains(p.Detail, tt.mention) {
					t.Errorf("detail %q does not name %s", p.Detail, tt.mention)
				}
			}
			if got := do(t, s.Handler(), "GET", "/healthz", "").Code; got != 200 {
				t.Errorf("healthz = %d while %s", got, tt.name)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	sec := productionSecurity()
	sec.AllowedHosts = []string{"onit.example.com", ".api.example.com"}
	sec.TrustedProxies = []string{"192.0.2.0/24"} // httptest's peer
	s := newTestServer(t, sec)
	tests := []struct {
		name     string
		remote   string
		hdr      []string
		host     string
		status   int
		wantHSTS bool
	}{
		{name: "https via proxy", hdr: []string{"X-Forwarded-Proto", "https"}, host: "onit.example.com", status: 200, wantHSTS: true},
		{name: "scheme header from an untrusted peer", remote: "198.51.100.7:4000", hdr: []string{"X-Forwarded-Proto", "https"}, host: "onit.example.com", status: 200},
		{name: "plain http gets no HSTS", host: "onit.example.com", status: 200},
		{name: "subdomain allowed", host: "eu.api.example.com", status: 200},
		{name: "foreign host", host: "evil.example.net", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/healthz", nil)
			req.Host = tt.host
			if tt.remote != "" {
				req.RemoteAddr = tt.remote
			}
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				req.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			h := rec.Header()
			want := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin", "X-Frame-Options": "DENY"}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			hsts := h.Get("Strict-Transport-Security")
			if tt.wantHSTS != (hsts == "max-age=31536000; includeSubDomains; preload") {
				t.Errorf("HSTS = %q, want present %v", hsts, tt.wantHSTS)
			}
		})
	}
}

func TestSSLRedirect(t *testing.T) {
	sec := SecurityConfig{SSLRedirect: true, ProxySSLHeader: "X-Forwarded-Proto"}
	s := newTestServer(t, sec)
	rec := do(t, s.Handler(), "GET", "/api/openapi.json", "")
	if rec.Code != http.StatusMovedPermanently || !strings.HasPrefix(rec.Header().Get("Location"), "https://") {
		t.Errorf("got %d %q, want a 301 to https", rec.Code, rec.Header().Get("Location"))
	}
	if rec := do(t, s.Handler(), "GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("health checks must not redirect: %d", rec.Code)
	}
}

// A slow request in flight when shutdown starts must finish.
func TestShutdownDrainsInFlight(t *testing.T) {
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	httpCfg := testHTTP()
	httpCfg.Addr = "127.0.0.1:0"
	started := make(chan struct{})
	s, err := New(Config{HTTP: httpCfg}, slog.New(slog.NewTextHandler(io.Discard, nil)), cat, nil, func(api *echo.Group) {
		api.GET("/slow", func(c echo.Context) error {
			close(started)
			time.Sleep(300 * time.Millisecond)
			return c.String(http.StatusOK, "done")
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr().String() + "/api/v1/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	r := <-res
	if r.err != nil || r.status != 200 || r.body != "done" {
		t.Fatalf("in-flight request cut: %+v", r)
	}
}

func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{`{"title":"a"}`, `{"title":"a","title":"b"}`, `{"count":1e400}`, `[]`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, "\xff", `{"title":"\u0000"}`,
		`{"title":"a","TITLE":"b"}`, `{"Title":"a"}`, `{"priority":"low","PRIORITY":"high"}`, `{"\u017ftatus":"x"}`, `{"title":"a\u0000b"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var s sample
		err := decodeStrict(body, &s)
		if err != nil {
			if classify(err).status >= 500 {
				t.Fatalf("decode error classified as %d: %v", classify(err).status, err)
			}
			return
		}
		// Accepted: every key is exactly a field's name, no text holds NUL.
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return // null or another non-object the decoder accepts
		}
		for k, v := range m {
			if k != "title" && k != "priority" && k != "count" {
				t.Fatalf("accepted key %q", k)
			}
			if str, ok := v.(string); ok && strings.IndexByte(str, 0) >= 0 {
				t.Fatalf("accepted a NUL in %q", k)
			}
		}
	})
}
