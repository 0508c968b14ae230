package httpapi

import (
	"net/http/httptest"
	"testing"
)

// Production with an empty ONIT_ALLOWED_HOSTS refuses every Host (Django
// with DEBUG off), a foreign Host is refused before any HTTPS redirect
// could point at it, and the refusal carries the security headers.
func TestHostCheckFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		hosts    []string
		closed   bool
		redirect bool
		host     string
		status   int
	}{
		{"production, no hosts: refused", nil, true, false, "onit.example.com", 400},
		{"production, no hosts, redirect on: refused, not redirected", nil, true, true, "evil.example", 400},
		{"listed host, redirect on: redirected", []string{"onit.example.com"}, true, true, "onit.example.com", 301},
		{"foreign host, redirect on: refused", []string{"onit.example.com"}, true, true, "evil.example", 400},
		{"development, no hosts: any host", nil, false, false, "evil.example", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sec := productionSecurity()
			sec.AllowedHosts, sec.FailClosedHosts, sec.SSLRedirect = tt.hosts, tt.closed, tt.redirect
			s := newTestServer(t, sec)
			req := httptest.NewRequest("GET", "/api/v1/nothing", nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d (Location %q), want %d", rec.Code, rec.Header().Get("Location"), tt.status)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
