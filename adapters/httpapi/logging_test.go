package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/domain/accounts"
)

func TestParseTraceparent(t *testing.T) {
	const trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"version 00", "00-" + trace + "-" + parent + "-01", true},
		{"future version with more fields", "01-" + trace + "-" + parent + "-00-extra", true},
		{"empty", "", false},
		{"upper case", "00-" + strings.ToUpper(trace) + "-" + parent + "-01", false},
		{"version ff", "ff-" + trace + "-" + parent + "-01", false},
		{"version 00 with more fields", "00-" + trace + "-" + parent + "-01-extra", false},
		{"zero trace id", "00-" + strings.Repeat("0", 32) + "-" + parent + "-01", false},
		{"zero parent id", "00-" + trace + "-" + strings.Repeat("0", 16) + "-01", false},
		{"short trace id", "00-" + trace[:30] + "-" + parent + "-01", false},
		{"not hex", "00-" + strings.Repeat("g", 32) + "-" + parent + "-01", false},
		{"log injection", "00-" + trace + "-" + parent + "-01\n{\"level\":\"ERROR\"}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotTrace, gotParent, ok := parseTraceparent(tt.header)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && (gotTrace != trace || gotParent != parent) {
				t.Errorf("ids = %s, %s", gotTrace, gotParent)
			}
		})
	}
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x")
	f.Fuzz(func(t *testing.T, h string) {
		trace, parent, ok := parseTraceparent(h)
		if !ok {
			return
		}
		if len(trace) != 32 || len(parent) != 16 || !isLowerHex(trace) || !isLowerHex(parent) {
			t.Fatalf("accepted %q as trace %q parent %q", h, trace, parent)
		}
	})
}

// syncBuffer is a log destination written by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// The access line carries the user id when known and the traceparent's
// ids when sent; probes are logged at debug only.
func TestAccessLogLines(t *testing.T) {
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := New(Config{HTTP: testHTTP(), Security: testSecurity()}, log, cat, nil, func(api *echo.Group) {
		api.GET("/whoami", func(c echo.Context) error {
			setPrincipal(c, Principal{User: accounts.User{ID: 42}})
			return c.NoContent(http.StatusNoContent)
		})
		api.GET("/anonymous", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	do(t, h, http.MethodGet, "/healthz", "")
	do(t, h, http.MethodGet, "/readyz", "")
	do(t, h, http.MethodGet, "/api/v1/whoami", "", "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	do(t, h, http.MethodGet, "/api/v1/anonymous", "", "Traceparent", "garbage")

	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("want 2 access lines at info (probes at debug), got %d: %v", len(lines), lines)
	}
	who, anon := lines[0], lines[1]
	if who["path"] != "/api/v1/whoami" || who["user_id"] != float64(42) ||
		who["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || who["parent_id"] != "00f067aa0ba902b7" {
		t.Errorf("authenticated line: %v", who)
	}
	if _, ok := anon["user_id"]; ok {
		t.Errorf("anonymous line has a user id: %v", anon)
	}
	if _, ok := anon["trace_id"]; ok {
		t.Errorf("an invalid traceparent was logged: %v", anon)
	}
}
