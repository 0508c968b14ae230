package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/bootstrap"
	"github.com/onitapp/onit/env"
)

// benchApp boots the in-memory composition (real router, handlers and
// middleware; memory adapters) and returns its handler with a logged-in
// user's bearer header, a project of theirs holding 60 tasks and the id of
// the last.
func benchApp(b *testing.B) (h http.Handler, auth string, projectID, taskID int64) {
	b.Helper()
	s := env.Defaults(env.Test)
	// Production's logging: one JSON access line per request (to nowhere).
	s.Log.Level, s.Log.Format = "info", "json"
	s.Password.Iterations = 1
	var srv *httpapi.Server
	app := fx.New(bootstrap.InMemory(s, io.Discard), fx.Populate(&srv))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Stop(context.Background()) })
	h = srv.Handler()

	call := func(method, path, auth string, body any, want int) map[string]any {
		b.Helper()
		raw, _ := json.Marshal(body)
		req := httptest.NewRequest(method, path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return out
	}
	const pw = "correct horse battery staple"
	call("POST", "/api/v1/auth/register", "", map[string]any{"email": "bench@example.com", "password": pw, "name": "Bench"}, http.StatusCreated)
	login := call("POST", "/api/v1/auth/login", "", map[string]any{"email": "bench@example.com", "password": pw}, http.StatusOK)
	auth = "Bearer " + login["token"].(string)
	p := call("POST", "/api/v1/projects", auth, map[string]any{"name": "Bench"}, http.StatusCreated)
	projectID = int64(p["id"].(float64))
	for i := range 60 {
		t := call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", projectID), auth,
			map[string]any{"title": fmt.Sprint("Profile the hot path ", i), "description": "GET one task, through every middleware",
				"priority": "high", "due_date": "2030-01-31"}, http.StatusCreated)
		taskID = int64(t["id"].(float64))
	}
	return h, auth, projectID, taskID
}

// benchGET measures GET path through h with auth.
func benchGET(b *testing.B, h http.Handler, auth, path string) {
	base := httptest.NewRequest("GET", path, nil)
	base.Header.Set("Authorization", auth)
	base.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	w := &discardWriter{h: http.Header{}}
	run := func() {
		req := *base // the middleware replaces the body and context on the request it gets
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, &req)
	}
	run()
	if w.status != http.StatusOK || w.n == 0 {
		b.Fatalf("GET %s: status %d, %d bytes", path, w.status, w.n)
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

// discardWriter is a reusable ResponseWriter, so the benchmark counts the
// server's allocations rather than a recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// BenchmarkGetTask is GET /api/v1/tasks/:id through the real router,
// middleware (request ID, language, access log, recovery, host, security
// headers, body limit, timeout, authentication) and handler, on memory
// adapters with a warm local session cache. Profile it with
//
//	go test ./adapters/httpapi -run '^$' -bench GetTask -benchmem -cpuprofile cpu.out -memprofile mem.out
func BenchmarkGetTask(b *testing.B) {
	h, auth, _, id := benchApp(b)
	benchGET(b, h, auth, fmt.Sprintf("/api/v1/tasks/%d", id))
}

// BenchmarkListTasks is a first page of 50 of a project's tasks: on memory
// adapters it is the HTTP side of the list (query parameters, cursor,
// 50 tasks' JSON), without the database's.
func BenchmarkListTasks(b *testing.B) {
	h, auth, pid, _ := benchApp(b)
	benchGET(b, h, auth, fmt.Sprintf("/api/v1/projects/%d/tasks?limit=50", pid))
}

// BenchmarkGetMe is GET /api/v1/me, authentication and JSON only: what
// Onit adds to the bench's JSON-constant ceiling.
func BenchmarkGetMe(b *testing.B) {
	h, auth, _, _ := benchApp(b)
	benchGET(b, h, auth, "/api/v1/me")
}
