package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/memory"
	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// These tests run the projects handlers in the real echo server (error
// handler, middleware, problem documents) on the memory adapters, and
// validate every response against the OpenAPI document. The end-to-end
// tests on MariaDB + Redis live in bootstrap/onittest.

type projUoW struct {
	mu    sync.Mutex
	s     *memory.ProjectsStore
	repos ports.Repos
}

func (u *projUoW) Transact(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	restore := u.s.Snapshot()
	if err := fn(ctx, u.repos); err != nil {
		restore()
		return err
	}
	return nil
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

type projHarness struct {
	t      *testing.T
	h      http.Handler
	users  *memory.UserRepository
	router routers.Router
}

func newProjHarness(t *testing.T) *projHarness {
	t.Helper()
	users := memory.NewUserRepository()
	store := memory.NewProjectsStore(users)
	repos := ports.Repos{Users: users, Projects: store.Projects(), Members: store.Members(), Tasks: store.Tasks(),
		Comments: store.Comments(), Idempotency: store.Idempotency()}
	svc := appprojects.NewService(&projUoW{s: store, repos: repos}, repos, nil, nil, wallClock{}, appprojects.Config{IdempotencyTTL: 24 * time.Hour})
	api := NewProjectsAPI(svc, "test-secret", nil)
	auth := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id, _ := strconv.ParseInt(c.Request().Header.Get("X-Test-User"), 10, 64)
			u, err := users.ByID(c.Request().Context(), id)
			if err != nil {
				return domain.ErrUnauthenticated
			}
			setPrincipal(c, Principal{User: u})
			return next(c)
		}
	}
	cat, err := i18n.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{HTTP: testHTTP(), Security: testSecurity()}, slog.New(slog.DiscardHandler), cat, nil,
		func(g *echo.Group) { api.Register(g, auth) })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &projHarness{t: t, h: srv.Handler(), users: users, router: router}
}

func (h *projHarness) user(name string) int64 {
	h.t.Helper()
	u, err := accounts.NewUser(name+"@example.com", name, "en", time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.users.Create(context.Background(), &u); err != nil {
		h.t.Fatal(err)
	}
	return u.ID
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// do sends a request as user (0: anonymous); hdr are name, value pairs.
func (h *projHarness) do(method, path string, user int64, body string, hdr ...string) resp {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != 0 {
		req.Header.Set("X-Test-User", strconv.FormatInt(user, 10))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	r := resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if r.Status >= 500 {
		h.t.Errorf("%s %s → %d: %s", method, path, r.Status, r.Body)
	}
	h.validate(req, body, r)
	return r
}

func (h *projHarness) validate(req *http.Request, body string, r resp) {
	h.t.Helper()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(strings.NewReader(body))
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		h.t.Errorf("%s %s is not documented: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.Status, Header: r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		h.t.Errorf("%s %s → %d does not match the document: %v\n%.400s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}

func want(t *testing.T, r resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

func TestProjectsHTTPFlow(t *testing.T) {
	h := newProjHarness(t)
	owner, member, stranger := h.user("owner"), h.user("member"), h.user("stranger")

	r := h.do("POST", "/api/v1/projects", owner, `{"name":"Onit","description":"d"}`)
	want(t, r, 201)
	p := r.json(t)
	pid := int64(p["id"].(float64))
	if p["role"] != "owner" || p["owner_id"].(float64) != float64(owner) {
		t.Fatalf("project = %v", p)
	}
	pp := fmt.Sprintf("/api/v1/projects/%d", pid)
	r = h.do("GET", pp, owner, "")
	want(t, r, 200)
	tag := r.Header.Get("ETag")
	want(t, h.do("GET", pp, owner, "", "If-None-Match", tag), 304)
	want(t, h.do("GET", pp, stranger, ""), 404)
	want(t, h.do("GET", pp, 0, ""), 401)

	want(t, h.do("POST", pp+"/members", owner, `{"email":"MEMBER@example.com","role":"member"}`), 201)
	want(t, h.do("POST", pp+"/members", owner, `{"email":"nobody@example.com","role":"member"}`), 404)
	want(t, h.do("POST", pp+"/members", owner, `{"email":"member@example.com","role":"member"}`), 409)
	want(t, h.do("POST", pp+"/members", owner, `{"email":"stranger@example.com","role":"boss"}`), 422)
	want(t, h.do("PATCH", pp, member, `{"name":"x"}`), 403)
	want(t, h.do("DELETE", fmt.Sprintf("%s/members/%d", pp, owner), owner, ""), 409)
	want(t, h.do("PATCH", fmt.Sprintf("%s/members/%d", pp, owner), owner, `{"role":"member"}`), 409)

	// membership changes moved the version: the old tag is stale now
	want(t, h.do("PATCH", pp, owner, `{"name":"Stale"}`, "If-Match", tag), 412)
	tag = h.do("GET", pp, owner, "").Header.Get("ETag")
	r = h.do("PATCH", pp, owner, `{"name":"Renamed"}`, "If-Match", tag)
	want(t, r, 200)
	want(t, h.do("PATCH", pp, owner, `{"name":"Stale"}`, "If-Match", tag), 412)
	want(t, h.do("PATCH", pp, owner, `{"name":null}`), 422)
	if got := h.do("GET", pp, member, "").json(t); got["name"] != "Renamed" || got["role"] != "member" {
		t.Fatalf("after stale PATCH: %v", got)
	}

	pt := pp + "/tasks"
	want(t, h.do("POST", pt, member, fmt.Sprintf(`{"title":"x","assignee_id":%d}`, stranger)), 422)
	r = h.do("POST", pt, member, fmt.Sprintf(`{"title":"Write it","assignee_id":%d,"due_date":"2030-02-28","priority":"high"}`, member))
	want(t, r, 201)
	task := r.json(t)
	tp := fmt.Sprintf("/api/v1/tasks/%d", int64(task["id"].(float64)))
	if task["status"] != "todo" || task["completed_at"] != nil || task["version"].(float64) != 1 {
		t.Fatalf("task = %v", task)
	}
	want(t, h.do("GET", tp, stranger, ""), 404)
	r = h.do("PATCH", tp, owner, `{"status":"done"}`, "If-Match", h.do("GET", tp, owner, "").Header.Get("ETag"))
	want(t, r, 200)
	if got := r.json(t); got["completed_at"] == nil || got["version"].(float64) != 2 {
		t.Fatalf("done task = %v", got)
	}
	want(t, h.do("PATCH", tp, owner, `{"title":"late"}`, "If-Match", `"1-1"`), 412)
	r = h.do("PATCH", tp, owner, `{"status":"in_progress","assignee_id":null,"due_date":null}`)
	want(t, r, 200)
	if got := r.json(t); got["completed_at"] != nil || got["assignee_id"] != nil || got["due_date"] != nil {
		t.Fatalf("after leaving done and clearing: %v", got)
	}
	want(t, h.do("POST", tp+"/comments", member, `{"body":"first"}`), 201)
	want(t, h.do("POST", tp+"/comments", stranger, `{"body":"x"}`), 404)
	if got := h.do("GET", tp+"/comments", owner, "").json(t); len(got["items"].([]any)) != 1 {
		t.Fatalf("comments = %v", got)
	}
	want(t, h.do("DELETE", pp, member, ""), 403)
	want(t, h.do("DELETE", pp, owner, ""), 204)
	want(t, h.do("GET", tp, owner, ""), 404)
}

func TestProjectsHTTPBadInput(t *testing.T) {
	h := newProjHarness(t)
	owner := h.user("owner")
	pid := int64(h.do("POST", "/api/v1/projects", owner, `{"name":"P"}`).json(t)["id"].(float64))
	tid := int64(h.do("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", pid), owner, `{"title":"t"}`).json(t)["id"].(float64))
	pt := fmt.Sprintf("/api/v1/projects/%d/tasks", pid)
	tp := fmt.Sprintf("/api/v1/tasks/%d", tid)
	long := strings.Repeat("é", 10000)
	cases := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		field                    string
	}{
		{"wrong type", "POST", pt, `{"title":5}`, nil, 400, "title"},
		{"unknown field", "POST", pt, `{"title":"t","colour":"red"}`, nil, 400, "colour"},
		{"malformed json", "POST", pt, `{"title":`, nil, 400, ""},
		{"overflowing assignee", "POST", pt, `{"title":"t","assignee_id":99999999999999999999}`, nil, 400, "assignee_id"},
		{"unknown status", "POST", pt, `{"title":"t","status":"closed"}`, nil, 422, "status"},
		{"impossible date", "POST", pt, `{"title":"t","due_date":"2026-02-30"}`, nil, 422, "due_date"},
		{"title of 10000 characters", "POST", pt, `{"title":"` + long + `"}`, nil, 422, "title"},
		{"empty title", "POST", pt, `{"title":"  "}`, nil, 422, "title"},
		{"non-member assignee", "POST", pt, `{"title":"t","assignee_id":12345}`, nil, 422, "assignee_id"},
		{"null title in patch", "PATCH", tp, `{"title":null}`, nil, 422, "title"},
		{"bad date in patch", "PATCH", tp, `{"due_date":"2030-13-01"}`, nil, 422, "due_date"},
		{"garbage If-Match", "PATCH", tp, `{}`, []string{"If-Match", "nope"}, 400, "If-Match"},
		{"overflowing id", "GET", "/api/v1/tasks/99999999999999999999", "", nil, 400, "id"},
		{"negative id", "GET", "/api/v1/projects/-1", "", nil, 400, "id"},
		{"absent task", "GET", "/api/v1/tasks/9223372036854775807", "", nil, 404, ""},
		{"limit zero", "GET", pt + "?limit=0", "", nil, 422, "limit"},
		{"limit too big", "GET", pt + "?limit=101", "", nil, 422, "limit"},
		{"limit not a number", "GET", pt + "?limit=ten", "", nil, 400, "limit"},
		{"unknown order", "GET", pt + "?order=title", "", nil, 422, "order"},
		{"unknown status filter", "GET", pt + "?status=closed", "", nil, 422, "status"},
		{"bad assignee filter", "GET", pt + "?assignee_id=x", "", nil, 400, "assignee_id"},
		{"bad due_before", "GET", pt + "?due_before=2026-02-30", "", nil, 422, "due_before"},
		{"forged cursor", "GET", pt + "?cursor=eyJpIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA", "", nil, 400, "cursor"},
		{"malformed cursor", "GET", pt + "?cursor=%25%25%25", "", nil, 400, "cursor"},
		{"long idempotency key", "POST", pt, `{"title":"t"}`, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 422, "Idempotency-Key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, owner, tc.body, tc.hdr...)
			want(t, r, tc.status)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q", ct)
			}
			if tc.field == "" {
				return
			}
			var pb struct {
				Errors []struct{ Field, Code, Message string }
			}
			_ = json.Unmarshal(r.Body, &pb)
			for _, e := range pb.Errors {
				if e.Field == tc.field && e.Message != "" {
					return
				}
			}
			t.Fatalf("no translated error for field %q: %s", tc.field, r.Body)
		})
	}
}

func TestProjectsHTTPIdempotency(t *testing.T) {
	h := newProjHarness(t)
	owner := h.user("owner")
	first := h.do("POST", "/api/v1/projects", owner, `{"name":"Once"}`, "Idempotency-Key", "k1")
	want(t, first, 201)
	again := h.do("POST", "/api/v1/projects", owner, `{"name":"Once"}`, "Idempotency-Key", "k1")
	want(t, again, 201)
	if !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %s (replayed %q), want %s", again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
	}
	want(t, h.do("POST", "/api/v1/projects", owner, `{"name":"Other"}`, "Idempotency-Key", "k1"), 422)
	if items := h.do("GET", "/api/v1/projects", owner, "").json(t)["items"].([]any); len(items) != 1 {
		t.Fatalf("%d projects, want 1", len(items))
	}
}
