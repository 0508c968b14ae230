package onittest_test

// Optimistic concurrency (If-Match) and Idempotency-Key over HTTP, including
// requests that race each other. The races need InnoDB's row locks and skip
// on the embedded engine.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/bootstrap/onittest"
)

// race sends the requests at the same moment and returns their responses
// in order.
func race(t *testing.T, reqs ...func() *onittest.Response) []*onittest.Response {
	t.Helper()
	out := make([]*onittest.Response, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = req()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// Of several PATCHes carrying the same If-Match, exactly one wins; the
// others get 412 and their changes are not written.
func TestProjectsConcurrentPatchesSameIfMatch(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	mysqltest.RequireInnoDB(t, app.DB)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Race")
	addMember(t, app, alice, p.ID, bob, "member")
	task := createTask(t, app, alice, p.ID, map[string]any{"title": "contested"})

	const writers = 4
	for round := range 5 {
		_, tag := getTask(t, app, alice, task.ID)
		reqs := make([]func() *onittest.Response, writers)
		for i := range reqs {
			u := []user{alice, bob}[i%2]
			title := fmt.Sprintf("round %d writer %d", round, i)
			reqs[i] = func() *onittest.Response {
				return app.Do(t, "PATCH", taskPath(task.ID), map[string]any{"title": title}, u.with("If-Match", tag)...)
			}
		}
		var won []taskJSON
		for i, r := range race(t, reqs...) {
			switch r.Status {
			case http.StatusOK:
				won = append(won, decode[taskJSON](t, r))
			case http.StatusPreconditionFailed:
				r.Problem(t)
			default:
				t.Errorf("round %d writer %d: %d %s", round, i, r.Status, r.Body)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d PATCHes with If-Match %s won, want exactly 1", round, len(won), tag)
		}
		now, _ := getTask(t, app, bob, task.ID)
		if now.Title != won[0].Title || now.Version != won[0].Version {
			t.Errorf("round %d: stored %q v%d, winner wrote %q v%d", round, now.Title, now.Version, won[0].Title, won[0].Version)
		}
	}
}

// An Idempotency-Key replays the first response to a retry with the same
// body, creates nothing new, and refuses a different body with 422.
func TestProjectsIdempotentCreates(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Idem")
	addMember(t, app, alice, p.ID, bob, "member")
	task := createTask(t, app, alice, p.ID, map[string]any{"title": "commented"})
	carol := newUser(t, app, "Carol")

	cases := []struct {
		name        string
		path        string
		body, other map[string]any
		list        string // what to count
	}{
		{"project", "/api/v1/projects", map[string]any{"name": "once"}, map[string]any{"name": "twice"}, "/api/v1/projects"},
		{"task", projectPath(p.ID, "/tasks"), map[string]any{"title": "once", "priority": "high"},
			map[string]any{"title": "once", "priority": "low"}, projectPath(p.ID, "/tasks")},
		{"comment", taskPath(task.ID, "/comments"), map[string]any{"body": "once"}, map[string]any{"body": "twice"}, taskPath(task.ID, "/comments")},
		{"member", projectPath(p.ID, "/members"), map[string]any{"email": carol.email, "role": "member"},
			map[string]any{"email": carol.email, "role": "owner"}, projectPath(p.ID, "/members")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "key-" + c.name + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
			n0 := len(walk[json0](t, app, alice, c.list, nil))
			first := app.Do(t, "POST", c.path, c.body, alice.with("Idempotency-Key", key)...)
			expect(t, first, http.StatusCreated, "first")
			if first.Header.Get("Idempotent-Replayed") != "" {
				t.Error("first response marked as replayed")
			}
			for i := range 2 {
				again := app.Do(t, "POST", c.path, c.body, alice.with("Idempotency-Key", key)...)
				expect(t, again, http.StatusCreated, "retry")
				if string(again.Body) != string(first.Body) {
					t.Errorf("retry %d body %s, want the first %s", i, again.Body, first.Body)
				}
				if again.Header.Get("ETag") != first.Header.Get("ETag") {
					t.Errorf("retry ETag %q, first %q", again.Header.Get("ETag"), first.Header.Get("ETag"))
				}
				if again.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("retry without Idempotent-Replayed: true")
				}
			}
			if n := len(walk[json0](t, app, alice, c.list, nil)); n != n0+1 {
				t.Errorf("%d items after a create and two retries, want %d", n, n0+1)
			}
			p := expectProblem(t, app.Do(t, "POST", c.path, c.other, alice.with("Idempotency-Key", key)...),
				http.StatusUnprocessableEntity, nil, "same key, other body")
			if p.Detail == "" {
				t.Error("422 without detail")
			}
			if n := len(walk[json0](t, app, alice, c.list, nil)); n != n0+1 {
				t.Errorf("the refused body created something: %d items, want %d", n, n0+1)
			}
		})
	}

	t.Run("keys are per user", func(t *testing.T) {
		key := "shared-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		a := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "same"}, alice.with("Idempotency-Key", key)...)
		b := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "same"}, bob.with("Idempotency-Key", key)...)
		expect(t, a, http.StatusCreated, "alice")
		expect(t, b, http.StatusCreated, "bob")
		if decode[taskJSON](t, a).ID == decode[taskJSON](t, b).ID || b.Header.Get("Idempotent-Replayed") != "" {
			t.Error("another user's key replayed alice's task")
		}
	})

	// A keyed create that its membership checks refuse writes nothing and
	// keeps no record: the same key works once the reason is gone.
	t.Run("refused keyed task", func(t *testing.T) {
		key := "refused-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		dave := newUser(t, app, "Dave")
		expectProblem(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "in"}, dave.with("Idempotency-Key", key)...),
			http.StatusNotFound, nil, "non-member")
		expectProblem(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "in", "assignee_id": dave.id},
			alice.with("Idempotency-Key", key)...), http.StatusUnprocessableEntity, []string{"assignee_id:not_member"}, "assignee not a member")
		addMember(t, app, alice, p.ID, dave, "member")
		r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "in", "assignee_id": dave.id}, alice.with("Idempotency-Key", key)...)
		expect(t, r, http.StatusCreated, "after joining")
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Error("a refused create left a record to replay")
		}
	})

	t.Run("same key on another list", func(t *testing.T) {
		key := "moved-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		other := createProject(t, app, alice, "Elsewhere")
		expect(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "x"}, alice.with("Idempotency-Key", key)...), http.StatusCreated, "first")
		expectProblem(t, app.Do(t, "POST", projectPath(other.ID, "/tasks"), map[string]any{"title": "x"}, alice.with("Idempotency-Key", key)...),
			http.StatusUnprocessableEntity, nil, "same key and body on another project")
	})

	t.Run("failed create is not remembered", func(t *testing.T) {
		key := "fails-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		expectProblem(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": ""}, alice.with("Idempotency-Key", key)...),
			http.StatusUnprocessableEntity, []string{"title:required"}, "invalid")
		expect(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "fixed"}, alice.with("Idempotency-Key", key)...),
			http.StatusCreated, "corrected retry with the same key")
	})

	t.Run("bad keys", func(t *testing.T) {
		for name, key := range map[string]string{"too long": strings.Repeat("k", 256), "control character": "a\tb"} {
			t.Run(name, func(t *testing.T) {
				expectProblem(t, app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "x"}, alice.with("Idempotency-Key", key)...),
					http.StatusUnprocessableEntity, nil, name)
			})
		}
	})
}

// Identical idempotent POSTs arriving together: one creates (201); each
// other gets the same status and body, at once or, while the first is still
// creating a task, after 409 with Retry-After (a client honouring it tries
// again); exactly one task exists.
func TestProjectsConcurrentIdempotentCreates(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	mysqltest.RequireInnoDB(t, app.DB)
	alice := newUser(t, app, "Alice")
	p := createProject(t, app, alice, "Twins")

	const rounds, twins = 5, 3
	for round := range rounds {
		key := fmt.Sprintf("twin-%d-%d", round, time.Now().UnixNano())
		body := map[string]any{"title": fmt.Sprintf("twin %d", round), "due_date": "2030-05-05"}
		reqs := make([]func() *onittest.Response, twins)
		for i := range reqs {
			reqs[i] = func() *onittest.Response {
				return retryInProgress(t, func() *onittest.Response {
					return app.Do(t, "POST", projectPath(p.ID, "/tasks"), body, alice.with("Idempotency-Key", key)...)
				})
			}
		}
		rs := race(t, reqs...)
		replayed := 0
		for i, r := range rs {
			if r.Status != http.StatusCreated {
				t.Fatalf("round %d twin %d: %d %s", round, i, r.Status, r.Body)
			}
			if string(r.Body) != string(rs[0].Body) {
				t.Errorf("round %d: bodies differ:\n%s\n%s", round, r.Body, rs[0].Body)
			}
			if r.Header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != twins-1 {
			t.Errorf("round %d: %d responses replayed, want %d (exactly one creates)", round, replayed, twins-1)
		}
		// Same key, different body, also at the same time as a replay.
		other := map[string]any{"title": "not a twin"}
		rs = race(t,
			func() *onittest.Response {
				return app.Do(t, "POST", projectPath(p.ID, "/tasks"), other, alice.with("Idempotency-Key", key)...)
			},
			func() *onittest.Response {
				return app.Do(t, "POST", projectPath(p.ID, "/tasks"), body, alice.with("Idempotency-Key", key)...)
			})
		expectProblem(t, rs[0], http.StatusUnprocessableEntity, nil, "different body")
		expect(t, rs[1], http.StatusCreated, "replay")
	}
	tasks := walk[taskJSON](t, app, alice, projectPath(p.ID, "/tasks"), nil)
	if len(tasks) != rounds {
		t.Errorf("%d tasks, want %d (one per key)", len(tasks), rounds)
	}

	// Adding a member: the twin's own create fails (already a member) under
	// the project's lock, and must still replay rather than answer 409.
	bob := newUser(t, app, "Bob")
	key := fmt.Sprintf("member-%d", time.Now().UnixNano())
	body := map[string]any{"email": bob.email, "role": "member"}
	add := func() *onittest.Response {
		return app.Do(t, "POST", projectPath(p.ID, "/members"), body, alice.with("Idempotency-Key", key)...)
	}
	rs := race(t, add, add)
	for i, r := range rs {
		expect(t, r, http.StatusCreated, fmt.Sprintf("member twin %d", i))
		if string(r.Body) != string(rs[0].Body) {
			t.Errorf("member twins' bodies differ:\n%s\n%s", r.Body, rs[0].Body)
		}
	}
	if n := len(walk[memberJSON](t, app, alice, projectPath(p.ID, "/members"), nil)); n != 2 {
		t.Errorf("%d members, want 2", n)
	}
}

// retryInProgress sends a keyed POST again for as long as it answers 409
// with Retry-After (its key's first request is still creating), as a
// client would, after a shorter pause than the header's second.
func retryInProgress(t *testing.T, send func() *onittest.Response) *onittest.Response {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := send()
		if r.Status != http.StatusConflict || r.Header.Get("Retry-After") == "" || time.Now().After(deadline) {
			return r
		}
	}
}
