package onittest_test

// The instance caches of projects and tasks seen from outside: two app
// instances sharing one MySQL and one Redis (two fx apps in one test). The
// consistency rule (README, "Consistency"): the instance that served a
// write returns it at once; the other within the invalidation delivery
// delay (bound: one second); and an instance whose Redis is down still
// serves everything MySQL can answer.

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/bootstrap/onittest"
)

// deliveryBound is the promise: another instance stops serving a changed
// object within one second.
const deliveryBound = time.Second

// twoInstances boots A and B on one database and one Redis key space.
func twoInstances(t *testing.T) (a, b *onittest.App) {
	t.Helper()
	a = onittest.New(t)
	b = onittest.New(t, onittest.WithDB(a.DB), onittest.WithRedis(a.Redis, a.Keys))
	return a, b
}

// soon waits until cond holds, failing past deliveryBound; it returns how
// long that took.
func soon(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	return sessWaitFor(t, deliveryBound, what, cond)
}

// status is the status of a GET.
func status(t *testing.T, app *onittest.App, u user, path string) int {
	t.Helper()
	return app.Do(t, "GET", path, nil, u.auth...).Status
}

func TestProjectsCacheReadYourWritesAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	alice, carol := newUser(t, a, "Alice"), newUser(t, a, "Carol")
	p := createProject(t, a, alice, "Shared")
	task := createTask(t, a, alice, p.ID, map[string]any{"title": "v1"})

	t.Run("task", func(t *testing.T) {
		// Writes alternate between the instances; the writer reads its
		// write at once, the other instance within the delivery bound.
		readers := []*onittest.App{b, a}
		for i := range 6 {
			writer, reader := readers[(i+1)%2], readers[i%2]
			before, _ := getTask(t, reader, alice, task.ID) // warms the reader's cache
			again, _ := getTask(t, reader, alice, task.ID)  // served from it
			if again.Version != before.Version {
				t.Fatalf("two reads of an unchanged task: v%d, v%d", before.Version, again.Version)
			}
			status := []string{"in_progress", "done"}[i%2]
			title := fmt.Sprintf("v%d", i+2)
			r := writer.Do(t, "PATCH", taskPath(task.ID), map[string]any{"title": title, "status": status}, alice.auth...)
			expect(t, r, http.StatusOK, "PATCH")
			written := decode[taskJSON](t, r)
			if got, tag := getTask(t, writer, alice, task.ID); got.Version != written.Version || tag != r.Header.Get("ETag") {
				t.Fatalf("round %d: the writer read v%d (ETag %s) right after writing v%d", i, got.Version, tag, written.Version)
			}
			soon(t, fmt.Sprintf("round %d: the other instance reads the write", i), func() bool {
				got, tag := getTask(t, reader, alice, task.ID)
				return got.Version == written.Version && tag == r.Header.Get("ETag")
			})
			got, _ := getTask(t, reader, alice, task.ID)
			if got.Title != title || got.Status != status || (got.CompletedAt != nil) != (status == "done") {
				t.Fatalf("round %d: read %q %s (completed %v) after writing %q %s", i, got.Title, got.Status, got.CompletedAt, title, status)
			}
			// A conditional GET with the old tag is not answered 304.
			if r := reader.Do(t, "GET", taskPath(task.ID), nil, alice.with("If-None-Match", fmt.Sprintf(`"task-%d-%d"`, task.ID, before.Version))...); r.Status != http.StatusOK {
				t.Errorf("round %d: If-None-Match of the old version = %d", i, r.Status)
			}
		}
		// The task list agrees (lists come from MySQL).
		list := walk[taskJSON](t, b, alice, projectPath(p.ID, "/tasks"), nil)
		if len(list) != 1 || list[0].Title != "v7" {
			t.Errorf("list on B = %+v", list)
		}
	})

	t.Run("project", func(t *testing.T) {
		for i, pair := range [][2]*onittest.App{{a, b}, {b, a}, {a, b}} {
			writer, reader := pair[0], pair[1]
			expect(t, reader.Do(t, "GET", projectPath(p.ID), nil, alice.auth...), http.StatusOK, "warm")
			name := fmt.Sprintf("Shared %d", i)
			expect(t, writer.Do(t, "PATCH", projectPath(p.ID), map[string]any{"name": name}, alice.auth...), http.StatusOK, "PATCH")
			if got := decode[projectJSON](t, writer.Do(t, "GET", projectPath(p.ID), nil, alice.auth...)); got.Name != name {
				t.Fatalf("round %d: the writer read %q right after writing %q", i, got.Name, name)
			}
			soon(t, fmt.Sprintf("round %d: the other instance reads the project", i), func() bool {
				r := reader.Do(t, "GET", projectPath(p.ID), nil, alice.auth...)
				return r.Status == http.StatusOK && decode[projectJSON](t, r).Name == name
			})
		}
	})

	t.Run("membership", func(t *testing.T) {
		// Carol's "not a member" answer is cached on B...
		expectProblem(t, b.Do(t, "GET", projectPath(p.ID), nil, carol.auth...), http.StatusNotFound, nil, "carol before")
		expectProblem(t, b.Do(t, "GET", taskPath(task.ID), nil, carol.auth...), http.StatusNotFound, nil, "carol's task before")
		// ...and adding her on A replaces it within the bound.
		addMember(t, a, alice, p.ID, carol, "member")
		soon(t, "carol sees the project on B", func() bool { return status(t, b, carol, projectPath(p.ID)) == http.StatusOK })
		if got := decode[projectJSON](t, b.Do(t, "GET", projectPath(p.ID), nil, carol.auth...)); got.Role != "member" {
			t.Errorf("carol's role = %q", got.Role)
		}
		getTask(t, b, carol, task.ID)
		expect(t, b.Do(t, "GET", projectPath(p.ID, "/tasks"), nil, carol.auth...), http.StatusOK, "carol lists tasks")

		// Promotion on B is seen at once by owner-only checks on A: writes
		// authorise against MySQL, never a cache.
		expect(t, b.Do(t, "PATCH", projectPath(p.ID, "/members/", fmt.Sprint(carol.id)), map[string]any{"role": "owner"}, alice.auth...), http.StatusOK, "promote")
		expect(t, a.Do(t, "PATCH", projectPath(p.ID), map[string]any{"description": "by carol"}, carol.auth...), http.StatusOK, "carol as owner on A")
		soon(t, "carol's view on B", func() bool {
			got := decode[projectJSON](t, b.Do(t, "GET", projectPath(p.ID), nil, carol.auth...))
			return got.Role == "owner" && got.Description == "by carol"
		})

		// Removal on A locks her out of B within the bound, cached or not,
		// and out of every write at once.
		expect(t, a.Do(t, "DELETE", projectPath(p.ID, "/members/", fmt.Sprint(carol.id)), nil, alice.auth...), http.StatusNoContent, "remove carol")
		expectProblem(t, b.Do(t, "PATCH", taskPath(task.ID), map[string]any{"title": "by carol"}, carol.auth...), http.StatusNotFound, nil, "carol's write after removal")
		for _, path := range []string{projectPath(p.ID), taskPath(task.ID), projectPath(p.ID, "/tasks"), taskPath(task.ID, "/comments")} {
			soon(t, "carol locked out of "+path+" on B", func() bool { return status(t, b, carol, path) == http.StatusNotFound })
		}
	})

	t.Run("deletes", func(t *testing.T) {
		doomed := createTask(t, a, alice, p.ID, map[string]any{"title": "doomed"})
		getTask(t, b, alice, doomed.ID)
		expect(t, a.Do(t, "DELETE", taskPath(doomed.ID), nil, alice.auth...), http.StatusNoContent, "DELETE task on A")
		expectProblem(t, a.Do(t, "GET", taskPath(doomed.ID), nil, alice.auth...), http.StatusNotFound, nil, "deleted task on A")
		soon(t, "deleted task gone on B", func() bool { return status(t, b, alice, taskPath(doomed.ID)) == http.StatusNotFound })

		getTask(t, b, alice, task.ID)
		expect(t, b.Do(t, "GET", projectPath(p.ID), nil, alice.auth...), http.StatusOK, "warm project")
		expect(t, a.Do(t, "DELETE", projectPath(p.ID), nil, alice.auth...), http.StatusNoContent, "DELETE project on A")
		soon(t, "deleted project gone on B", func() bool { return status(t, b, alice, projectPath(p.ID)) == http.StatusNotFound })
		soon(t, "task of deleted project gone on B", func() bool { return status(t, b, alice, taskPath(task.ID)) == http.StatusNotFound })
	})
}

// The reads above would pass without any cache; this shows B really serves
// task reads from its own memory: a task changed behind the app's back
// (straight in MySQL) is still served in its cached form until a write
// through the API is announced.
func TestProjectsCacheServesReads(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	alice := newUser(t, a, "Alice")
	p := createProject(t, a, alice, "Cached")
	task := createTask(t, a, alice, p.ID, map[string]any{"title": "cached"})
	setTitle := func(title string) {
		if _, err := a.DB.NewRaw("UPDATE tasks SET title = ? WHERE id = ?", title, task.ID).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	soon(t, "B serves the task from its cache", func() bool {
		setTitle("cached")
		getTask(t, b, alice, task.ID) // fills B's cache once its feeds vouch
		setTitle("behind the back")
		got, _ := getTask(t, b, alice, task.ID)
		return got.Title == "cached"
	})
	// Every write through the API moves the version, and a warm PATCH
	// starts from the instance's copy at that version: put the row back as
	// the copies know it before writing through the API.
	setTitle("cached")
	expect(t, a.Do(t, "PATCH", taskPath(task.ID), map[string]any{"priority": "high"}, alice.auth...), http.StatusOK, "PATCH on A")
	soon(t, "B reads A's write", func() bool {
		got, _ := getTask(t, b, alice, task.ID)
		return got.Priority == "high" && got.Title == "cached" && got.Version == task.Version+1
	})
}

// With Redis down, an instance serves every read and write from MySQL, and
// signing up and logging in still work.
func TestProjectsRedisDown(t *testing.T) {
	t.Parallel()
	up := onittest.New(t)
	downRedis, downKeys := redistest.NewDown(t)
	down := onittest.New(t, onittest.WithDB(up.DB), onittest.WithRedis(downRedis, downKeys))

	// A session made while Redis was up works on the instance without it.
	alice := newUser(t, up, "Alice")
	p := createProject(t, up, alice, "Resilient")
	task := createTask(t, up, alice, p.ID, map[string]any{"title": "before the outage"})
	getTask(t, up, alice, task.ID)

	start := time.Now()
	bob := newUser(t, down, "Bob") // register + login without Redis
	if r := down.Do(t, "GET", "/api/v1/me", nil, bob.auth...); r.Status != http.StatusOK {
		t.Fatalf("GET /me with Redis down: %d %s", r.Status, r.Body)
	}

	reads := []string{
		projectPath(p.ID), taskPath(task.ID), projectPath(p.ID, "/tasks"), projectPath(p.ID, "/tasks?status=todo&order=-priority"),
		projectPath(p.ID, "/members"), taskPath(task.ID, "/comments"), "/api/v1/projects",
	}
	for _, path := range reads {
		if r := down.Do(t, "GET", path, nil, alice.auth...); r.Status != http.StatusOK {
			t.Errorf("GET %s with Redis down: %d %s", path, r.Status, r.Body)
		}
	}
	// Authorisation still holds without the cache.
	expectProblem(t, down.Do(t, "GET", projectPath(p.ID), nil, bob.auth...), http.StatusNotFound, nil, "non-member with Redis down")
	expectProblem(t, down.Do(t, "GET", taskPath(task.ID), nil, bob.auth...), http.StatusNotFound, nil, "non-member task with Redis down")

	// Writes.
	addMember(t, down, alice, p.ID, bob, "member")
	got, tag := getTask(t, down, bob, task.ID)
	r := down.Do(t, "PATCH", taskPath(task.ID), map[string]any{"status": "done"}, bob.with("If-Match", tag)...)
	expect(t, r, http.StatusOK, "PATCH with Redis down")
	if done := decode[taskJSON](t, r); done.Version != got.Version+1 || done.CompletedAt == nil {
		t.Errorf("PATCH result %+v", done)
	}
	expectProblem(t, down.Do(t, "PATCH", taskPath(task.ID), map[string]any{"status": "todo"}, bob.with("If-Match", tag)...),
		http.StatusPreconditionFailed, nil, "stale If-Match with Redis down")
	if r := down.Do(t, "GET", taskPath(task.ID), nil, bob.with("If-None-Match", r.Header.Get("ETag"))...); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match with Redis down: %d", r.Status)
	}
	second := createTask(t, down, bob, p.ID, map[string]any{"title": "during the outage"})
	expect(t, down.Do(t, "POST", taskPath(second.ID, "/comments"), map[string]any{"body": "still here"}, alice.auth...), http.StatusCreated, "comment")
	key := fmt.Sprintf("down-%d", time.Now().UnixNano())
	first := down.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "idem"}, bob.with("Idempotency-Key", key)...)
	again := down.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "idem"}, bob.with("Idempotency-Key", key)...)
	expect(t, first, http.StatusCreated, "idempotent create")
	if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) {
		t.Errorf("idempotent retry with Redis down: %d %s", again.Status, again.Body)
	}
	expect(t, down.Do(t, "DELETE", taskPath(second.ID), nil, bob.auth...), http.StatusNoContent, "DELETE task")
	own := createProject(t, down, bob, "Bob's")
	expect(t, down.Do(t, "PATCH", projectPath(own.ID), map[string]any{"name": "Bob's own"}, bob.auth...), http.StatusOK, "PATCH project")
	expect(t, down.Do(t, "DELETE", projectPath(own.ID), nil, bob.auth...), http.StatusNoContent, "DELETE project")

	// Logging out and back in, and the session ends everywhere.
	expect(t, down.Do(t, "POST", "/api/v1/auth/logout", nil, bob.auth...), http.StatusNoContent, "logout with Redis down")
	expectProblem(t, down.Do(t, "GET", "/api/v1/me", nil, bob.auth...), http.StatusUnauthorized, nil, "after logout")
	down.Login(t, bob.email, "correct horse battery staple")

	// Readiness tells the truth about Redis.
	if r := down.Do(t, "GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with Redis down = %d, want 503", r.Status)
	}
	// A dead Redis fails fast instead of adding its timeout to every request.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the outage run took %s", d)
	}
}
