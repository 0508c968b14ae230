package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// After a successful write a client's reads go to the primary for the
// window, through a cookie any instance reads; failed writes, reads and a
// server without a replica (window 0) open no window.
func TestReadYourWrites(t *testing.T) {
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	newServer := func(window time.Duration) *Server {
		cfg := Config{HTTP: testHTTP(), Security: testSecurity(), ReadYourWrites: ReadYourWritesConfig{Window: window}}
		s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), cat, nil, func(api *echo.Group) {
			api.POST("/write", func(c echo.Context) error { return c.NoContent(http.StatusCreated) })
			api.POST("/fail", func(echo.Context) error { return domain.E(domain.KindInvalid, "error.invalid") })
			api.GET("/read", func(c echo.Context) error {
				return c.String(http.StatusOK, strconv.FormatBool(ports.PrimaryReads(c.Request().Context())))
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	read := func(t *testing.T, s *Server, cookies []*http.Cookie) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/api/v1/read", nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w.Body.String()
	}
	write := func(t *testing.T, s *Server, path string) []*http.Cookie {
		t.Helper()
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, nil))
		return w.Result().Cookies()
	}
	a, b := newServer(5*time.Second), newServer(5*time.Second) // two instances
	if got := read(t, b, nil); got != "false" {
		t.Errorf("read without a write: primary = %s, want false", got)
	}
	cookies := write(t, a, "/api/v1/write")
	if len(cookies) != 1 || cookies[0].Name != readYourWritesCookie || cookies[0].MaxAge != 5 {
		t.Fatalf("cookies after a write = %+v, want one %s with Max-Age 5", cookies, readYourWritesCookie)
	}
	if got := read(t, b, cookies); got != "true" {
		t.Errorf("read on another instance after a write: primary = %s, want true", got)
	}
	expired := []*http.Cookie{{Name: readYourWritesCookie, Value: strconv.FormatInt(time.Now().Add(-time.Second).UnixMilli(), 10)}}
	if got := read(t, b, expired); got != "false" {
		t.Errorf("read after the window: primary = %s, want false", got)
	}
	if c := write(t, a, "/api/v1/fail"); len(c) != 0 {
		t.Errorf("a failed write set %+v", c)
	}
	if c := write(t, newServer(0), "/api/v1/write"); len(c) != 0 {
		t.Errorf("without a replica a write set %+v", c)
	}
}

type detailCheck struct{ fakeCheck }

func (detailCheck) Detail() string { return "down: the primary serves reads" }

// A service Onit serves without (the read replica) shows its state in
// /readyz without making it fail.
func TestReadyzShowsDetail(t *testing.T) {
	s := newTestServer(t, testSecurity(), fakeCheck{name: "mysql"}, detailCheck{fakeCheck{name: "mysql_replica"}})
	rec := do(t, s.Handler(), http.MethodGet, "/readyz", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"mysql_replica":"down: the primary serves reads"`) {
		t.Errorf("readyz = %d %s", rec.Code, rec.Body)
	}
}
