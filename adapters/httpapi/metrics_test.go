package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
)

// recordingObserver keeps every observation.
type recordingObserver struct {
	mu       sync.Mutex
	inFlight int
	seen     []string // "route method status"
}

func (o *recordingObserver) RequestStarted() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight++
}

func (o *recordingObserver) ObserveRequest(route, method string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight--
	o.seen = append(o.seen, route+" "+method+" "+http.StatusText(status))
}

var scrapeHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = io.WriteString(w, "up 1\n")
})

func newMetricsServer(t *testing.T, development bool, m MetricsConfig) *Server {
	t.Helper()
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	httpCfg := testHTTP()
	httpCfg.Addr = "127.0.0.1:0"
	s, err := New(Config{Development: development, HTTP: httpCfg}, slog.New(slog.NewTextHandler(io.Discard, nil)), cat, nil, func(api *echo.Group) {
		api.GET("/things/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
		api.POST("/sample", func(c echo.Context) error {
			var in sample
			return bind(c, &in)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.SetMetrics(m)
	return s
}

func TestRequestMetricsUseRouteTemplates(t *testing.T) {
	obs := &recordingObserver{}
	s := newMetricsServer(t, false, MetricsConfig{Observer: obs})
	do(t, s.Handler(), "GET", "/api/v1/things/42", "")
	do(t, s.Handler(), "GET", "/api/v1/things/43", "")
	do(t, s.Handler(), "GET", "/api/v1/no/such/thing/7", "")
	do(t, s.Handler(), "GET", "/api/v1/things", "")
	do(t, s.Handler(), "POST", "/api/v1/sample", `{"title":""}`)
	do(t, s.Handler(), "DELETE", "/api/v1/things/9", "")
	want := []string{
		"/api/v1/things/:id GET OK",
		"/api/v1/things/:id GET OK",
		"unmatched GET Not Found",
		"unmatched GET Not Found",
		// The status is the one the error handler rendered, not echo's default 200.
		"/api/v1/sample POST Unprocessable Entity",
		"/api/v1/things/:id DELETE Method Not Allowed",
	}
	if !slices.Equal(obs.seen, want) {
		t.Errorf("observations:\n got %q\nwant %q", obs.seen, want)
	}
	if obs.inFlight != 0 {
		t.Errorf("in flight = %d after all requests finished", obs.inFlight)
	}
}

func TestMetricsEndpointAccess(t *testing.T) {
	tests := []struct {
		name   string
		dev    bool
		cfg    MetricsConfig
		auth   string
		status int
	}{
		{name: "development without token is open", dev: true, cfg: MetricsConfig{Handler: scrapeHandler}, status: 200},
		{name: "production without token is not exposed", cfg: MetricsConfig{Handler: scrapeHandler}, status: 404},
		{name: "test without token is not exposed", cfg: MetricsConfig{Handler: scrapeHandler}, status: 404},
		{name: "token required", cfg: MetricsConfig{Handler: scrapeHandler, Token: "s3cret-token"}, status: 401},
		{name: "wrong token", cfg: MetricsConfig{Handler: scrapeHandler, Token: "s3cret-token"}, auth: "Bearer s3cret-tokem", status: 401},
		{name: "token as another scheme", cfg: MetricsConfig{Handler: scrapeHandler, Token: "s3cret-token"}, auth: "Basic s3cret-token", status: 401},
		{name: "right token", cfg: MetricsConfig{Handler: scrapeHandler, Token: "s3cret-token"}, auth: "Bearer s3cret-token", status: 200},
		{name: "token required in development too", dev: true, cfg: MetricsConfig{Handler: scrapeHandler, Token: "s3cret-token"}, status: 401},
		{name: "separate listener configured: not on the API port", dev: true, cfg: MetricsConfig{Handler: scrapeHandler, Addr: "127.0.0.1:0"}, status: 404},
		{name: "no metrics at all", dev: true, cfg: MetricsConfig{}, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMetricsServer(t, tt.dev, tt.cfg)
			var hdr []string
			if tt.auth != "" {
				hdr = []string{"Authorization", tt.auth}
			}
			rec := do(t, s.Handler(), "GET", "/metrics", "", hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			switch tt.status {
			case 200:
				if rec.Body.String() != "up 1\n" {
					t.Errorf("body = %q", rec.Body)
				}
			case 401:
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				decodeProblem(t, rec)
			}
		})
	}
}

func TestSeparateMetricsListener(t *testing.T) {
	s := newMetricsServer(t, false, MetricsConfig{Handler: scrapeHandler, Addr: "127.0.0.1:0", Token: "tok"})
	if err := s.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	url := "http://" + s.MetricsAddr().String() + "/metrics"
	get := func(auth string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(""); got != http.StatusUnauthorized {
		t.Errorf("without token: %d, want 401", got)
	}
	if got := get("Bearer tok"); got != http.StatusOK {
		t.Errorf("with token: %d, want 200", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("metrics listener still accepts connections after shutdown")
	}
}

func TestSeparateMetricsListenerPortTaken(t *testing.T) {
	first := newMetricsServer(t, false, MetricsConfig{Handler: scrapeHandler, Addr: "127.0.0.1:0"})
	if err := first.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	go first.Serve()
	t.Cleanup(func() { _ = first.Shutdown(context.Background()) })
	second := newMetricsServer(t, false, MetricsConfig{Handler: scrapeHandler, Addr: first.MetricsAddr().String()})
	if err := second.Listen(context.Background()); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Fatalf("Listen = %v, want a metrics listen error", err)
	}
}
