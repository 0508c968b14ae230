package onittest_test

// HTTP tests of the contract's Projects table (and shared helpers for the
// projects_*_test.go files): every request goes through the real fx
// composition against real MySQL and Redis (embedded engines locally), and
// every response is validated against the OpenAPI document by app.Do.

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/bootstrap/onittest"
)

// ---- client-side shapes of the contract ----

type projectJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	OwnerID     int64  `json:"owner_id"`
	Role        string `json:"role"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

type memberJSON struct {
	UserID   int64  `json:"user_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	JoinedAt string `json:"joined_at"`
}

type taskJSON struct {
	ID          int64   `json:"id"`
	ProjectID   int64   `json:"project_id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Priority    string  `json:"priority"`
	AssigneeID  *int64  `json:"assignee_id"`
	DueDate     *string `json:"due_date"`
	CreatedBy   int64   `json:"created_by"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	CompletedAt *string `json:"completed_at"`
	Version     int64   `json:"version"`
}

type commentJSON struct {
	ID        int64  `json:"id"`
	TaskID    int64  `json:"task_id"`
	AuthorID  int64  `json:"author_id"`
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
}

type pageJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// ---- helpers ----

// user is a registered, logged-in client of one app.
type user struct {
	id    int64
	email string
	auth  []string // the Authorization header pair
}

func newUser(t *testing.T, app *onittest.App, name string) user {
	t.Helper()
	email := fmt.Sprintf("%s-%d@example.com", strings.ToLower(name), time.Now().UnixNano())
	u := app.Register(t, email, "correct horse battery staple", name)
	tok := app.Login(t, email, "correct horse battery staple")
	return user{id: int64(u["id"].(float64)), email: email, auth: onittest.Bearer(tok)}
}

// with returns the user's headers plus more name/value pairs.
func (u user) with(kv ...string) []string {
	return append(slices.Clone(u.auth), kv...)
}

// expect fails the test unless r has status want.
func expect(t *testing.T, r *onittest.Response, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
}

// expectProblem checks a problem document's status and, when codes is not
// nil, its field:code list (order-insensitive).
func expectProblem(t *testing.T, r *onittest.Response, want int, codes []string, what string) onittest.Problem {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
	p := r.Problem(t)
	if p.Status != want {
		t.Errorf("%s: problem status %d, want %d", what, p.Status, want)
	}
	if p.Title == "" || p.Type == "" {
		t.Errorf("%s: problem without type or title: %s", what, r.Body)
	}
	if codes != nil {
		got := slices.Sorted(slices.Values(p.Codes()))
		want := slices.Sorted(slices.Values(codes))
		if !slices.Equal(got, want) {
			t.Errorf("%s: errors %v, want %v (%s)", what, got, want, r.Body)
		}
	}
	return p
}

func decode[T any](t *testing.T, r *onittest.Response) T {
	t.Helper()
	var v T
	r.JSON(t, &v)
	return v
}

func createProject(t *testing.T, app *onittest.App, u user, name string) projectJSON {
	t.Helper()
	r := app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": name}, u.auth...)
	expect(t, r, http.StatusCreated, "create project "+name)
	return decode[projectJSON](t, r)
}

func createTask(t *testing.T, app *onittest.App, u user, projectID int64, body map[string]any) taskJSON {
	t.Helper()
	r := app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", projectID), body, u.auth...)
	expect(t, r, http.StatusCreated, fmt.Sprintf("create task %v", body))
	return decode[taskJSON](t, r)
}

func addMember(t *testing.T, app *onittest.App, owner user, projectID int64, who user, role string) memberJSON {
	t.Helper()
	r := app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/members", projectID),
		map[string]any{"email": who.email, "role": role}, owner.auth...)
	expect(t, r, http.StatusCreated, "add member "+who.email)
	return decode[memberJSON](t, r)
}

func getTask(t *testing.T, app *onittest.App, u user, id int64) (taskJSON, string) {
	t.Helper()
	r := app.Do(t, "GET", fmt.Sprintf("/api/v1/tasks/%d", id), nil, u.auth...)
	expect(t, r, http.StatusOK, "get task")
	return decode[taskJSON](t, r), r.Header.Get("ETag")
}

// walk follows next_cursor from path until the last page and returns every
// item; between pages it calls between (may be nil).
func walk[T any](t *testing.T, app *onittest.App, u user, path string, between func()) []T {
	t.Helper()
	var all []T
	next := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("walk %s: more than 1000 pages", path)
		}
		p := path
		if next != "" {
			p += sep(p) + "cursor=" + next
		}
		r := app.Do(t, "GET", p, nil, u.auth...)
		expect(t, r, http.StatusOK, "GET "+p)
		page := decode[pageJSON[T]](t, r)
		if page.Items == nil {
			t.Fatalf("GET %s: items is not an array: %s", p, r.Body)
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		if *page.NextCursor == "" {
			t.Fatalf("GET %s: empty next_cursor", p)
		}
		next = *page.NextCursor
		if between != nil {
			between()
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

var rfc3339UTC = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)

func checkTimestamp(t *testing.T, field, v string) time.Time {
	t.Helper()
	if !rfc3339UTC.MatchString(v) {
		t.Errorf("%s = %q, want RFC 3339 in UTC", field, v)
	}
	ts, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Errorf("%s = %q: %v", field, v, err)
	}
	return ts
}

// nextSecond sleeps into the next wall-clock second: the API serves
// timestamps at second precision (as the contract's examples do), so only
// writes in different seconds show different updated_at values.
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 5*time.Millisecond).Sub(now))
}

func projectPath(id int64, rest ...string) string {
	return "/api/v1/projects/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}

func taskPath(id int64, rest ...string) string {
	return "/api/v1/tasks/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}

// ---- projects ----

func TestProjectsCRUD(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice := newUser(t, app, "Alice")

	if r := app.Do(t, "GET", "/api/v1/projects", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /projects without credentials = %d, want 401", r.Status)
	}

	r := app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": " Launch ", "description": "Ship it"},
		alice.with("X-Request-ID", "req-projects-1")...)
	expect(t, r, http.StatusCreated, "create project")
	if got := r.Header.Get("X-Request-ID"); got != "req-projects-1" {
		t.Errorf("X-Request-ID = %q, want the request's", got)
	}
	created := decode[projectJSON](t, r)
	if created.ID <= 0 || created.Name != "Launch" || created.Description != "Ship it" ||
		created.OwnerID != alice.id || created.Role != "owner" {
		t.Errorf("created project = %+v", created)
	}
	checkTimestamp(t, "created_at", created.CreatedAt)
	checkTimestamp(t, "updated_at", created.UpdatedAt)
	tag := r.Header.Get("ETag")
	if tag == "" {
		t.Error("201 without ETag")
	}

	r = app.Do(t, "GET", projectPath(created.ID), nil, alice.auth...)
	expect(t, r, http.StatusOK, "get project")
	if got := decode[projectJSON](t, r); got != created {
		t.Errorf("GET = %+v, want %+v", got, created)
	}
	if r.Header.Get("ETag") != tag {
		t.Errorf("GET ETag = %q, POST gave %q", r.Header.Get("ETag"), tag)
	}
	if r.Header.Get("X-Request-ID") == "" {
		t.Error("no generated X-Request-ID")
	}

	// Newest first.
	second := createProject(t, app, alice, "Second")
	third := createProject(t, app, alice, "Third")
	list := walk[projectJSON](t, app, alice, "/api/v1/projects", nil)
	var ids []int64
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	if want := []int64{third.ID, second.ID, created.ID}; !slices.Equal(ids, want) {
		t.Errorf("GET /projects IDs = %v, want %v (newest first)", ids, want)
	}
	// limit=1 pages walk the same list one by one.
	paged := walk[projectJSON](t, app, alice, "/api/v1/projects?limit=1", nil)
	if len(paged) != 3 || paged[0].ID != third.ID || paged[2].ID != created.ID {
		t.Errorf("paged walk = %+v", paged)
	}

	nextSecond() // timestamps are served at second precision
	r = app.Do(t, "PATCH", projectPath(created.ID), map[string]any{"name": "Renamed"}, alice.auth...)
	expect(t, r, http.StatusOK, "patch project")
	patched := decode[projectJSON](t, r)
	if patched.Name != "Renamed" || patched.Description != "Ship it" || patched.Role != "owner" ||
		patched.CreatedAt != created.CreatedAt || patched.UpdatedAt == created.UpdatedAt {
		t.Errorf("patched = %+v (was %+v)", patched, created)
	}
	if nt := r.Header.Get("ETag"); nt == "" || nt == tag {
		t.Errorf("PATCH ETag = %q, was %q: must change with the version", nt, tag)
	}
	r = app.Do(t, "PATCH", projectPath(created.ID), map[string]any{"description": ""}, alice.auth...)
	expect(t, r, http.StatusOK, "clear description")
	if got := decode[projectJSON](t, r); got.Description != "" || got.Name != "Renamed" {
		t.Errorf("after clearing description: %+v", got)
	}

	r = app.Do(t, "DELETE", projectPath(created.ID), nil, alice.auth...)
	expect(t, r, http.StatusNoContent, "delete project")
	if len(r.Body) != 0 {
		t.Errorf("204 with a body: %q", r.Body)
	}
	expectProblem(t, app.Do(t, "GET", projectPath(created.ID), nil, alice.auth...), http.StatusNotFound, nil, "GET deleted project")
	expectProblem(t, app.Do(t, "DELETE", projectPath(created.ID), nil, alice.auth...), http.StatusNotFound, nil, "DELETE deleted project")
	list = walk[projectJSON](t, app, alice, "/api/v1/projects", nil)
	if len(list) != 2 {
		t.Errorf("after delete, list = %+v", list)
	}
}

// A non-member gets 404 for the project and everything in it, exactly like
// for a project that does not exist; a member gets 403 for owner-only
// actions and may work on tasks and comments.
func TestProjectsAuthorisation(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob, carol := newUser(t, app, "Alice"), newUser(t, app, "Bob"), newUser(t, app, "Carol")
	p := createProject(t, app, alice, "Secret")
	task := createTask(t, app, alice, p.ID, map[string]any{"title": "hidden"})
	r := app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "hi"}, alice.auth...)
	expect(t, r, http.StatusCreated, "comment")
	// Carol is an owner too, so Alice can later be removed by Carol.
	addMember(t, app, alice, p.ID, carol, "owner")

	missing := int64(1) << 40
	reference := expectProblem(t, app.Do(t, "GET", projectPath(missing), nil, bob.auth...), http.StatusNotFound, nil, "GET missing project")

	everything := []struct {
		method, path string
		body         any
	}{
		{"GET", projectPath(p.ID), nil},
		{"PATCH", projectPath(p.ID), map[string]any{"name": "mine now"}},
		{"DELETE", projectPath(p.ID), nil},
		{"GET", projectPath(p.ID, "/members"), nil},
		{"POST", projectPath(p.ID, "/members"), map[string]any{"email": bob.email, "role": "owner"}},
		{"DELETE", projectPath(p.ID, "/members/", strconv.FormatInt(alice.id, 10)), nil},
		{"GET", projectPath(p.ID, "/tasks"), nil},
		{"GET", projectPath(p.ID, "/tasks?status=todo&order=due_date"), nil},
		{"POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "sneaky"}},
		{"GET", taskPath(task.ID), nil},
		{"PATCH", taskPath(task.ID), map[string]any{"title": "sneaky"}},
		{"DELETE", taskPath(task.ID), nil},
		{"GET", taskPath(task.ID, "/comments"), nil},
		{"POST", taskPath(task.ID, "/comments"), map[string]any{"body": "sneaky"}},
	}
	t.Run("non-member", func(t *testing.T) {
		for _, c := range everything {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				r := app.Do(t, c.method, c.path, c.body, bob.auth...)
				got := expectProblem(t, r, http.StatusNotFound, nil, "non-member")
				if got.Title != reference.Title || got.Detail != reference.Detail || got.Type != reference.Type {
					t.Errorf("non-member's 404 %+v differs from a missing project's %+v: it hints the project exists", got, reference)
				}
			})
		}
		for _, pr := range walk[projectJSON](t, app, bob, "/api/v1/projects", nil) {
			if pr.ID == p.ID {
				t.Error("a non-member lists the project")
			}
		}
	})

	// Nothing the non-member tried changed anything.
	r = app.Do(t, "GET", projectPath(p.ID), nil, alice.auth...)
	expect(t, r, http.StatusOK, "owner GET")
	if got := decode[projectJSON](t, r); got.Name != "Secret" {
		t.Errorf("project after non-member's attempts: %+v", got)
	}
	if got, _ := getTask(t, app, alice, task.ID); got.Title != "hidden" || got.Version != task.Version {
		t.Errorf("task after non-member's attempts: %+v", got)
	}

	m := addMember(t, app, alice, p.ID, bob, "member")
	if m.UserID != bob.id || m.Email != bob.email || m.Name != "Bob" || m.Role != "member" {
		t.Errorf("member = %+v", m)
	}
	checkTimestamp(t, "joined_at", m.JoinedAt)

	t.Run("member", func(t *testing.T) {
		forbidden := []struct {
			method, path string
			body         any
		}{
			{"PATCH", projectPath(p.ID), map[string]any{"name": "mine now"}},
			{"DELETE", projectPath(p.ID), nil},
			{"POST", projectPath(p.ID, "/members"), map[string]any{"email": bob.email, "role": "owner"}},
			{"DELETE", projectPath(p.ID, "/members/", strconv.FormatInt(alice.id, 10)), nil},
			// (Removing himself is leaving, which members may: members_leave_test.go.)
			{"PATCH", projectPath(p.ID, "/members/", strconv.FormatInt(bob.id, 10)), map[string]any{"role": "owner"}},
		}
		for _, c := range forbidden {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				expectProblem(t, app.Do(t, c.method, c.path, c.body, bob.auth...), http.StatusForbidden, nil, "member on owner-only action")
			})
		}
		r := app.Do(t, "GET", projectPath(p.ID), nil, bob.auth...)
		expect(t, r, http.StatusOK, "member GET project")
		if got := decode[projectJSON](t, r); got.Role != "member" || got.Name != "Secret" || got.OwnerID != alice.id {
			t.Errorf("member's view = %+v", got)
		}
		members := walk[memberJSON](t, app, bob, projectPath(p.ID, "/members"), nil)
		if len(members) != 3 {
			t.Errorf("members = %+v, want alice, carol, bob", members)
		}
		mine := createTask(t, app, bob, p.ID, map[string]any{"title": "bob's", "assignee_id": alice.id})
		if mine.CreatedBy != bob.id {
			t.Errorf("created_by = %d, want %d", mine.CreatedBy, bob.id)
		}
		r = app.Do(t, "PATCH", taskPath(task.ID), map[string]any{"assignee_id": bob.id}, bob.auth...)
		expect(t, r, http.StatusOK, "member PATCH task")
		r = app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "on it"}, bob.auth...)
		expect(t, r, http.StatusCreated, "member comment")
		if got := decode[commentJSON](t, r); got.AuthorID != bob.id || got.TaskID != task.ID || got.Body != "on it" {
			t.Errorf("comment = %+v", got)
		}
		r = app.Do(t, "DELETE", taskPath(mine.ID), nil, bob.auth...)
		expect(t, r, http.StatusNoContent, "member DELETE task")
	})

	t.Run("removed member", func(t *testing.T) {
		r := app.Do(t, "DELETE", projectPath(p.ID, "/members/", strconv.FormatInt(bob.id, 10)), nil, alice.auth...)
		expect(t, r, http.StatusNoContent, "remove bob")
		expectProblem(t, app.Do(t, "GET", projectPath(p.ID), nil, bob.auth...), http.StatusNotFound, nil, "removed member GET project")
		expectProblem(t, app.Do(t, "GET", taskPath(task.ID), nil, bob.auth...), http.StatusNotFound, nil, "removed member GET task")
		expectProblem(t, app.Do(t, "GET", taskPath(task.ID, "/comments"), nil, bob.auth...), http.StatusNotFound, nil, "removed member GET comments")
	})
}

func TestProjectsMembers(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob, carol := newUser(t, app, "Alice"), newUser(t, app, "Bob"), newUser(t, app, "Carol")
	p := createProject(t, app, alice, "Team")
	members := projectPath(p.ID, "/members")
	member := func(u user) string { return projectPath(p.ID, "/members/", strconv.FormatInt(u.id, 10)) }

	t.Run("invite", func(t *testing.T) {
		cases := []struct {
			name   string
			body   any
			status int
			codes  []string
		}{
			{"unknown email", map[string]any{"email": "nobody-" + strconv.FormatInt(time.Now().UnixNano(), 10) + "@example.com", "role": "member"}, http.StatusNotFound, nil},
			{"unknown role", map[string]any{"email": bob.email, "role": "admin"}, http.StatusUnprocessableEntity, []string{"role:oneof"}},
			{"missing role", map[string]any{"email": bob.email}, http.StatusUnprocessableEntity, []string{"role:required"}},
			{"missing email", map[string]any{"role": "member"}, http.StatusUnprocessableEntity, []string{"email:required"}},
			{"wrong type", map[string]any{"email": 7, "role": "member"}, http.StatusBadRequest, []string{"email:wrong_type"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				expectProblem(t, app.Do(t, "POST", members, c.body, alice.auth...), c.status, c.codes, c.name)
			})
		}
		// The email is matched case-insensitively, as at registration.
		r := app.Do(t, "POST", members, map[string]any{"email": strings.ToUpper(bob.email), "role": "member"}, alice.auth...)
		expect(t, r, http.StatusCreated, "invite bob")
		if got := decode[memberJSON](t, r); got.UserID != bob.id || got.Role != "member" {
			t.Errorf("member = %+v", got)
		}
		expectProblem(t, app.Do(t, "POST", members, map[string]any{"email": bob.email, "role": "owner"}, alice.auth...),
			http.StatusConflict, nil, "invite bob twice")
	})

	t.Run("list", func(t *testing.T) {
		got := walk[memberJSON](t, app, alice, members, nil)
		if len(got) != 2 {
			t.Fatalf("members = %+v", got)
		}
		byID := map[int64]memberJSON{}
		for _, m := range got {
			byID[m.UserID] = m
			checkTimestamp(t, "joined_at", m.JoinedAt)
		}
		if byID[alice.id].Role != "owner" || byID[alice.id].Email != alice.email || byID[alice.id].Name != "Alice" ||
			byID[bob.id].Role != "member" {
			t.Errorf("members = %+v", got)
		}
		if paged := walk[memberJSON](t, app, alice, members+"?limit=1", nil); len(paged) != 2 || paged[0].UserID == paged[1].UserID {
			t.Errorf("paged members = %+v", paged)
		}
	})

	t.Run("last owner", func(t *testing.T) {
		expectProblem(t, app.Do(t, "DELETE", member(alice), nil, alice.auth...), http.StatusConflict, nil, "remove last owner")
		expectProblem(t, app.Do(t, "PATCH", member(alice), map[string]any{"role": "member"}, alice.auth...), http.StatusConflict, nil, "demote last owner")
		r := app.Do(t, "GET", projectPath(p.ID), nil, alice.auth...)
		expect(t, r, http.StatusOK, "owner still there")
		if got := decode[projectJSON](t, r); got.Role != "owner" {
			t.Fatalf("role after refused demotion = %q", got.Role)
		}
		expectProblem(t, app.Do(t, "DELETE", member(carol), nil, alice.auth...), http.StatusNotFound, nil, "remove a non-member")
	})

	t.Run("second owner lets the first go", func(t *testing.T) {
		r := app.Do(t, "PATCH", member(bob), map[string]any{"role": "owner"}, alice.auth...)
		expect(t, r, http.StatusOK, "promote bob")
		if got := decode[memberJSON](t, r); got.Role != "owner" {
			t.Errorf("promoted = %+v", got)
		}
		r = app.Do(t, "DELETE", member(alice), nil, alice.auth...)
		expect(t, r, http.StatusNoContent, "alice leaves")
		expectProblem(t, app.Do(t, "GET", projectPath(p.ID), nil, alice.auth...), http.StatusNotFound, nil, "alice after leaving")
		r = app.Do(t, "GET", projectPath(p.ID), nil, bob.auth...)
		expect(t, r, http.StatusOK, "bob GET")
		if got := decode[projectJSON](t, r); got.Role != "owner" || got.OwnerID != bob.id {
			t.Errorf("after alice left: %+v (owner_id must name a remaining owner)", got)
		}
		expectProblem(t, app.Do(t, "DELETE", projectPath(p.ID, "/members/", strconv.FormatInt(bob.id, 10)), nil, bob.auth...),
			http.StatusConflict, nil, "bob is now the last owner")
	})
}
