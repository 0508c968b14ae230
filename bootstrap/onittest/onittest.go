// Package onittest boots the real application for HTTP tests: the test
// composition from bootstrap, the real MySQL and Redis adapters on a fresh
// database and key prefix (real servers in CI, embedded engines locally),
// and the HTTP server on a random loopback port. Every response a test
// receives is validated against the OpenAPI document, so the document and
// the code cannot drift.
package onittest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/bootstrap"
	"github.com/onitapp/onit/env"
)

// App is a running Onit for one test.
type App struct {
	URL      string
	Settings env.Settings
	DB       *bun.DB
	Redis    redis.UniversalClient
	Keys     redisstore.Keys
	Server   *httpapi.Server
	client   *http.Client
	spec     *specValidator
}

type config struct {
	settings func(*env.Settings)
	db       *bun.DB
	redis    redis.UniversalClient
	keys     *redisstore.Keys
	options  []fx.Option
	logs     io.Writer
}

// Option adjusts the App a test boots.
type Option func(*config)

// WithSettings edits the settings before boot.
func WithSettings(f func(*env.Settings)) Option { return func(c *config) { c.settings = f } }

// WithDB shares a database between apps (two instances of one deployment).
func WithDB(db *bun.DB) Option { return func(c *config) { c.db = db } }

// WithRedis shares (or replaces, e.g. with a dead one) the Redis client.
func WithRedis(r redis.UniversalClient, k redisstore.Keys) Option {
	return func(c *config) { c.redis, c.keys = r, &k }
}

// LogBuffer collects log output written from many goroutines (an app's
// logger, a child process's pipes) for a test to read, e.g. with WithLogs.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WithLogs sends the app's log output (warnings and errors in the test
// environment, panics included) to w instead of discarding it. w must be
// safe for concurrent writes.
func WithLogs(w io.Writer) Option { return func(c *config) { c.logs = w } }

// WithFx adds fx options, typically fx.Decorate to swap an adapter.
func WithFx(opts ...fx.Option) Option {
	return func(c *config) { c.options = append(c.options, opts...) }
}

// New boots an App and stops it when the test ends.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := env.Defaults(env.Test)
	s.HTTP.Addr = "127.0.0.1:0"
	s.MySQL.MigrateOnStart = false // mysqltest hands out migrated databases
	if cfg.settings != nil {
		cfg.settings(&s)
	}
	if cfg.db == nil {
		cfg.db = mysqltest.New(t)
	}
	if cfg.redis == nil {
		r, k := redistest.New(t)
		cfg.redis, cfg.keys = r, &k
	}
	a := &App{Settings: s, DB: cfg.db, Redis: cfg.redis, Keys: *cfg.keys}
	if cfg.logs == nil {
		cfg.logs = io.Discard
	}
	app := fx.New(
		bootstrap.Test(s, cfg.logs),
		bootstrap.Serving,
		fx.Decorate(func() *bun.DB { return cfg.db }),
		fx.Decorate(func() redis.UniversalClient { return cfg.redis }),
		fx.Decorate(func() redisstore.Keys { return *cfg.keys }),
		fx.Options(cfg.options...),
		fx.Populate(&a.Server),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Errorf("stop app: %v", err)
		}
	})
	a.URL = "http://" + a.Server.Addr().String()
	a.client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	a.spec = loadSpec(t)
	return a
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem document.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d): %s", ct, r.Status, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// Problem is the client's view of an RFC 9457 problem document.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Codes lists field:code pairs of a problem's errors, for compact assertions.
func (p Problem) Codes() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field + ":" + e.Code
	}
	return out
}

// Do sends a request. body may be nil, a string or []byte (sent as is) or
// any value (sent as JSON); hdr are header name/value pairs. The response
// is validated against the OpenAPI document.
func (a *App) Do(t testing.TB, method, path string, body any, hdr ...string) *Response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if r.Status >= 500 && r.Status != http.StatusServiceUnavailable {
		t.Errorf("%s %s answered %d: %s", method, path, r.Status, data)
	}
	a.spec.check(t, req, raw, r)
	return r
}

// Bearer is the header pair for a bearer token.
func Bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// Register signs a user up and fails the test unless it worked.
func (a *App) Register(t testing.TB, email, password, name string) map[string]any {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": name})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	var u map[string]any
	r.JSON(t, &u)
	return u
}

// Login logs in and returns the bearer token.
func (a *App) Login(t testing.TB, email, password string) string {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	r.JSON(t, &out)
	if out.Token == "" {
		t.Fatalf("login %s: no token in %s", email, r.Body)
	}
	return out.Token
}

// NewUser registers and logs in a fresh user, returning its token and ID.
func (a *App) NewUser(t testing.TB, name string) (token string, id int64) {
	t.Helper()
	email := fmt.Sprintf("%s-%d@example.com", strings.ToLower(strings.ReplaceAll(name, " ", ".")), time.Now().UnixNano())
	u := a.Register(t, email, "correct horse battery staple", name)
	return a.Login(t, email, "correct horse battery staple"), int64(u["id"].(float64))
}
