package onittest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

// answer is a preflight's status and headers (its body is empty and closed).
type answer struct {
	StatusCode int
	Header     http.Header
}

// preflight sends an OPTIONS preflight outside the document (preflights
// are the browser's, not operations of the API).
func preflight(t *testing.T, app *onittest.App, path, origin string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, if-match")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return answer{StatusCode: resp.StatusCode, Header: resp.Header}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	const app1 = "https://app.example.com"
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.CORS.CORSAllowedOrigins = []string{app1, "*"}
	}))
	token, _ := app.NewUser(t, "Cora Cors")

	t.Run("preflight is answered before authentication", func(t *testing.T) {
		resp := preflight(t, app, "/api/v1/me", app1)
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != app1 ||
			h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("preflight: %d %v", resp.StatusCode, h)
		}
		for _, want := range []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Accept-Language"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
			}
		}
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
			t.Errorf("Allow-Methods = %q", h.Get("Access-Control-Allow-Methods"))
		}
	})
	t.Run("other origins and the wildcard get nothing", func(t *testing.T) {
		for _, o := range []string{"https://evil.example.net", "*", "https://app.example.com.evil.net"} {
			if resp := preflight(t, app, "/api/v1/me", o); resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight from %s allowed", o)
			}
		}
	})
	t.Run("actual request exposes ETag and Retry-After", func(t *testing.T) {
		r := app.Do(t, "GET", "/api/v1/me", nil, append(onittest.Bearer(token), "Origin", app1)...)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != app1 ||
			!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "ETag") ||
			!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Fatalf("GET /me cross-origin: %d %v", r.Status, r.Header)
		}
	})
}

func TestCORSOffByDefault(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	if resp := preflight(t, app, "/api/v1/me", "https://app.example.com"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS answered without ONIT_CORS_ALLOWED_ORIGINS: %v", resp.Header)
	}
}
