package onittest_test

// HTTP tests of the contract's Tasks and comments table: shapes, filters and
// orders, keyset pagination (also under concurrent inserts), cursors,
// conditional requests, completed_at and cascading deletes.

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onitapp/onit/bootstrap/onittest"
)

func TestProjectsTaskLifecycle(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Work")
	addMember(t, app, alice, p.ID, bob, "member")

	t.Run("defaults", func(t *testing.T) {
		r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "  Plain  "}, alice.auth...)
		expect(t, r, http.StatusCreated, "create")
		got := decode[taskJSON](t, r)
		if got.ID <= 0 || got.ProjectID != p.ID || got.Title != "Plain" || got.Description != "" || got.Status != "todo" ||
			got.Priority != "normal" || got.AssigneeID != nil || got.DueDate != nil || got.CreatedBy != alice.id ||
			got.CompletedAt != nil || got.Version != 1 {
			t.Errorf("task = %+v", got)
		}
		checkTimestamp(t, "created_at", got.CreatedAt)
		checkTimestamp(t, "updated_at", got.UpdatedAt)
		if tag := r.Header.Get("ETag"); tag == "" {
			t.Error("201 without ETag")
		}
		// Every field of the contract is present, nulls included.
		var raw map[string]any
		r.JSON(t, &raw)
		for _, f := range []string{"id", "project_id", "title", "description", "status", "priority", "assignee_id",
			"due_date", "created_by", "created_at", "updated_at", "completed_at", "version"} {
			if _, ok := raw[f]; !ok {
				t.Errorf("task has no %q: %s", f, r.Body)
			}
		}
	})

	r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "Full", "description": "all fields",
		"status": "done", "priority": "urgent", "assignee_id": bob.id, "due_date": "2028-02-29"}, alice.auth...)
	expect(t, r, http.StatusCreated, "create with every field")
	task := decode[taskJSON](t, r)
	if task.Status != "done" || task.Priority != "urgent" || task.AssigneeID == nil || *task.AssigneeID != bob.id ||
		task.DueDate == nil || *task.DueDate != "2028-02-29" || task.Description != "all fields" {
		t.Errorf("task = %+v", task)
	}
	if task.CompletedAt == nil {
		t.Error("created done without completed_at")
	}

	got, tag := getTask(t, app, bob, task.ID)
	if !reflect.DeepEqual(got, task) || tag != r.Header.Get("ETag") {
		t.Errorf("GET = %+v %s, want %+v %s", got, tag, task, r.Header.Get("ETag"))
	}

	t.Run("completed_at", func(t *testing.T) {
		last := task
		steps := []struct {
			name          string
			body          map[string]any
			wantCompleted bool
			keepCompleted bool // completed_at must not move
			newSecond     bool // wait for the next second: updated_at must then move
		}{
			{"leave done", map[string]any{"status": "in_progress"}, false, false, false},
			{"edit while open", map[string]any{"title": "Full v2"}, false, false, true},
			{"enter done", map[string]any{"status": "done"}, true, false, true},
			{"edit while done", map[string]any{"priority": "low"}, true, true, true},
			{"done again", map[string]any{"status": "done"}, true, true, false},
			{"back to todo", map[string]any{"status": "todo"}, false, false, false},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				if s.newSecond {
					nextSecond()
				}
				r := app.Do(t, "PATCH", taskPath(task.ID), s.body, bob.auth...)
				expect(t, r, http.StatusOK, "PATCH")
				now := decode[taskJSON](t, r)
				if (now.CompletedAt != nil) != s.wantCompleted {
					t.Errorf("completed_at = %v after %v, want set=%v", now.CompletedAt, s.body, s.wantCompleted)
				}
				if s.keepCompleted && (last.CompletedAt == nil || now.CompletedAt == nil || *now.CompletedAt != *last.CompletedAt) {
					t.Errorf("completed_at moved from %v to %v", last.CompletedAt, now.CompletedAt)
				}
				if now.CompletedAt != nil {
					checkTimestamp(t, "completed_at", *now.CompletedAt)
				}
				if now.Version != last.Version+1 {
					t.Errorf("version = %d, want %d", now.Version, last.Version+1)
				}
				before, after := checkTimestamp(t, "updated_at", last.UpdatedAt), checkTimestamp(t, "updated_at", now.UpdatedAt)
				if after.Before(before) || (s.newSecond && !after.After(before)) || now.CreatedAt != last.CreatedAt {
					t.Errorf("updated_at %s → %s, created_at %s → %s", last.UpdatedAt, now.UpdatedAt, last.CreatedAt, now.CreatedAt)
				}
				if s.newSecond && (now.CompletedAt != nil && !s.keepCompleted) && *now.CompletedAt != now.UpdatedAt {
					t.Errorf("completed_at %s, want the write's time %s", *now.CompletedAt, now.UpdatedAt)
				}
				if r.Header.Get("ETag") == "" {
					t.Error("PATCH without ETag")
				}
				if fresh, _ := getTask(t, app, alice, task.ID); fresh.Version != now.Version || fresh.Status != now.Status {
					t.Errorf("GET after PATCH = %+v, want %+v", fresh, now)
				}
				last = now
			})
		}
	})

	t.Run("clear nullable fields", func(t *testing.T) {
		r := app.Do(t, "PATCH", taskPath(task.ID), map[string]any{"assignee_id": nil, "due_date": nil}, alice.auth...)
		expect(t, r, http.StatusOK, "PATCH nulls")
		got := decode[taskJSON](t, r)
		if got.AssigneeID != nil || got.DueDate != nil || got.Title != "Full v2" {
			t.Errorf("after clearing: %+v", got)
		}
		r = app.Do(t, "PATCH", taskPath(task.ID), map[string]any{"assignee_id": alice.id, "due_date": "2030-01-31", "description": "d"}, alice.auth...)
		expect(t, r, http.StatusOK, "PATCH set")
		got = decode[taskJSON](t, r)
		if got.AssigneeID == nil || *got.AssigneeID != alice.id || got.DueDate == nil || *got.DueDate != "2030-01-31" {
			t.Errorf("after setting: %+v", got)
		}
	})

	t.Run("comments", func(t *testing.T) {
		var want []int64
		for i, u := range []user{alice, bob, alice} {
			r := app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": fmt.Sprintf("comment %d", i)}, u.auth...)
			expect(t, r, http.StatusCreated, "comment")
			c := decode[commentJSON](t, r)
			if c.ID <= 0 || c.TaskID != task.ID || c.AuthorID != u.id || c.Body != fmt.Sprintf("comment %d", i) {
				t.Errorf("comment = %+v", c)
			}
			checkTimestamp(t, "created_at", c.CreatedAt)
			want = append(want, c.ID)
		}
		for _, path := range []string{taskPath(task.ID, "/comments"), taskPath(task.ID, "/comments?limit=1")} {
			var ids []int64
			for _, c := range walk[commentJSON](t, app, bob, path, nil) {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("GET %s = %v, want %v (oldest first)", path, ids, want)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		r := app.Do(t, "DELETE", taskPath(task.ID), nil, bob.auth...)
		expect(t, r, http.StatusNoContent, "DELETE task")
		expectProblem(t, app.Do(t, "GET", taskPath(task.ID), nil, alice.auth...), http.StatusNotFound, nil, "GET deleted task")
		expectProblem(t, app.Do(t, "GET", taskPath(task.ID, "/comments"), nil, alice.auth...), http.StatusNotFound, nil, "comments of deleted task")
		expectProblem(t, app.Do(t, "PATCH", taskPath(task.ID), map[string]any{"title": "x"}, alice.auth...), http.StatusNotFound, nil, "PATCH deleted task")
		expectProblem(t, app.Do(t, "DELETE", taskPath(task.ID), nil, alice.auth...), http.StatusNotFound, nil, "DELETE deleted task")
		var n int
		if err := app.DB.NewRaw("SELECT COUNT(*) FROM comments WHERE task_id = ?", task.ID).Scan(context.Background(), &n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d comments of the deleted task remain", n)
		}
	})
}

// Deleting a project removes its members, tasks and comments.
func TestProjectsDeleteCascades(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Doomed")
	keep := createProject(t, app, alice, "Kept")
	addMember(t, app, alice, p.ID, bob, "member")
	var tasks []taskJSON
	for i := range 3 {
		task := createTask(t, app, alice, p.ID, map[string]any{"title": fmt.Sprintf("t%d", i)})
		tasks = append(tasks, task)
		r := app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "c"}, bob.auth...)
		expect(t, r, http.StatusCreated, "comment")
		getTask(t, app, bob, task.ID) // warm the cache for both users
		getTask(t, app, alice, task.ID)
	}
	kept := createTask(t, app, alice, keep.ID, map[string]any{"title": "survivor"})

	expect(t, app.Do(t, "DELETE", projectPath(p.ID), nil, alice.auth...), http.StatusNoContent, "DELETE project")

	for _, u := range []user{alice, bob} {
		expectProblem(t, app.Do(t, "GET", projectPath(p.ID), nil, u.auth...), http.StatusNotFound, nil, "GET project")
		expectProblem(t, app.Do(t, "GET", projectPath(p.ID, "/tasks"), nil, u.auth...), http.StatusNotFound, nil, "GET tasks")
		expectProblem(t, app.Do(t, "GET", projectPath(p.ID, "/members"), nil, u.auth...), http.StatusNotFound, nil, "GET members")
		for _, task := range tasks {
			expectProblem(t, app.Do(t, "GET", taskPath(task.ID), nil, u.auth...), http.StatusNotFound, nil, "GET task")
			expectProblem(t, app.Do(t, "GET", taskPath(task.ID, "/comments"), nil, u.auth...), http.StatusNotFound, nil, "GET comments")
			expectProblem(t, app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "x"}, u.auth...), http.StatusNotFound, nil, "POST comment")
		}
	}
	ctx := context.Background()
	for _, q := range []string{
		"SELECT COUNT(*) FROM project_members WHERE project_id = ?",
		"SELECT COUNT(*) FROM tasks WHERE project_id = ?",
		"SELECT COUNT(*) FROM comments WHERE task_id IN (?, ?, ?)",
	} {
		args := []any{p.ID}
		if strings.Contains(q, "IN") {
			args = []any{tasks[0].ID, tasks[1].ID, tasks[2].ID}
		}
		var n int
		if err := app.DB.NewRaw(q, args...).Scan(ctx, &n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows remain", q, n)
		}
	}
	if got, _ := getTask(t, app, alice, kept.ID); got.Title != "survivor" {
		t.Errorf("other project's task: %+v", got)
	}
}

// seedTask is one task of the filter/order fixture.
type seedTask struct {
	title    string
	status   string
	priority string
	assignee int // 0: none, 1: alice, 2: bob
	due      string
}

// Every filter and order combine; each combination is also walked with a
// page size of 2, so keyset pagination is checked for every order and
// filter against an in-test model of the same query.
func TestProjectsTaskFiltersAndOrders(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Filters")
	addMember(t, app, alice, p.ID, bob, "member")
	other := createProject(t, app, alice, "Other")
	createTask(t, app, alice, other.ID, map[string]any{"title": "Fix login in another project", "priority": "urgent"})

	seeds := []seedTask{
		{"Fix login bug", "todo", "urgent", 1, "2030-01-10"},
		{"Write docs", "in_progress", "low", 2, ""},
		{"Fix logout", "done", "high", 2, "2030-01-05"},
		{"Deploy 100% rollout", "todo", "normal", 0, "2030-01-10"},
		{"Review PR_42", "todo", "high", 1, "2030-02-01"},
		{"fix CSS", "in_progress", "urgent", 0, ""},
		{"Plan sprint", "done", "normal", 1, "2029-12-31"},
		{"Deploy 1000 servers", "todo", "low", 2, "2030-01-05"},
		{"Ünïcode title", "todo", "normal", 1, "2030-01-10"},
		{"Triage", "todo", "urgent", 2, "2030-03-01"},
		{"Backlog", "todo", "normal", 0, ""},
		{"Fix fix fix", "todo", "high", 0, "2030-01-05"},
	}
	ids := map[int]int64{1: alice.id, 2: bob.id}
	var tasks []taskJSON
	for _, s := range seeds {
		body := map[string]any{"title": s.title, "status": s.status, "priority": s.priority}
		if s.assignee != 0 {
			body["assignee_id"] = ids[s.assignee]
		}
		if s.due != "" {
			body["due_date"] = s.due
		}
		tasks = append(tasks, createTask(t, app, alice, p.ID, body))
	}

	rank := map[string]int{"low": 0, "normal": 1, "high": 2, "urgent": 3}
	model := func(v url.Values) []int64 {
		var out []taskJSON
		for _, task := range tasks {
			switch {
			case v.Get("status") != "" && task.Status != v.Get("status"),
				v.Get("priority") != "" && task.Priority != v.Get("priority"),
				v.Get("assignee_id") != "" && (task.AssigneeID == nil || fmt.Sprint(*task.AssigneeID) != v.Get("assignee_id")),
				v.Get("due_before") != "" && (task.DueDate == nil || *task.DueDate >= v.Get("due_before")),
				v.Get("q") != "" && !strings.Contains(strings.ToLower(task.Title), strings.ToLower(v.Get("q"))):
				continue
			}
			out = append(out, task)
		}
		switch v.Get("order") {
		case "due_date": // undated last, then by ID
			due := func(x taskJSON) string {
				if x.DueDate == nil {
					return "9999-99-99"
				}
				return *x.DueDate
			}
			slices.SortFunc(out, func(a, b taskJSON) int { return cmp.Or(cmp.Compare(due(a), due(b)), cmp.Compare(a.ID, b.ID)) })
		case "-priority":
			slices.SortFunc(out, func(a, b taskJSON) int {
				return cmp.Or(cmp.Compare(rank[b.Priority], rank[a.Priority]), cmp.Compare(b.ID, a.ID))
			})
		default:
			created := func(x taskJSON) time.Time {
				ts, err := time.Parse(time.RFC3339Nano, x.CreatedAt)
				if err != nil {
					t.Fatalf("created_at %q: %v", x.CreatedAt, err)
				}
				return ts
			}
			slices.SortFunc(out, func(a, b taskJSON) int {
				return cmp.Or(created(b).Compare(created(a)), cmp.Compare(b.ID, a.ID))
			})
		}
		res := []int64{}
		for _, x := range out {
			res = append(res, x.ID)
		}
		return res
	}

	filters := []url.Values{
		{},
		{"status": {"todo"}},
		{"status": {"in_progress"}},
		{"assignee_id": {fmt.Sprint(bob.id)}},
		{"priority": {"urgent"}},
		{"due_before": {"2030-01-10"}},
		{"q": {"fix"}},
		{"q": {"100%"}}, // % is a literal, not a wildcard
		{"q": {"PR_4"}}, // so is _
		{"q": {"ünï"}},  // non-ASCII
		{"q": {"nothing matches this"}},
		{"status": {"todo"}, "priority": {"high"}},
		{"status": {"todo"}, "assignee_id": {fmt.Sprint(alice.id)}, "due_before": {"2030-02-01"}},
		{"q": {"deploy"}, "status": {"todo"}, "due_before": {"2031-01-01"}},
		{"priority": {"normal"}, "q": {"e"}},
	}
	for _, order := range []string{"", "-created_at", "due_date", "-priority"} {
		for _, f := range filters {
			v := url.Values{}
			for k, vs := range f {
				v[k] = vs
			}
			if order != "" {
				v.Set("order", order)
			}
			t.Run(v.Encode(), func(t *testing.T) {
				want := model(v)
				for _, limit := range []string{"", "2"} {
					q := url.Values{}
					for k, vs := range v {
						q[k] = vs
					}
					if limit != "" {
						q.Set("limit", limit)
					}
					var got []int64
					for _, task := range walk[taskJSON](t, app, bob, projectPath(p.ID, "/tasks?"+q.Encode()), nil) {
						got = append(got, task.ID)
					}
					if got == nil {
						got = []int64{}
					}
					if !slices.Equal(got, want) {
						t.Errorf("limit=%q: IDs %v, want %v", limit, got, want)
					}
				}
			})
		}
	}
	if len(model(url.Values{"q": {"100%"}})) != 1 || len(model(url.Values{"q": {"nothing matches this"}})) != 0 {
		t.Fatal("fixture broken")
	}

	t.Run("limit", func(t *testing.T) {
		r := app.Do(t, "GET", projectPath(p.ID, "/tasks?limit=5"), nil, bob.auth...)
		expect(t, r, http.StatusOK, "limit=5")
		page := decode[pageJSON[taskJSON]](t, r)
		if len(page.Items) != 5 || page.NextCursor == nil {
			t.Errorf("limit=5: %d items, next %v", len(page.Items), page.NextCursor)
		}
		r = app.Do(t, "GET", projectPath(p.ID, "/tasks?limit=100"), nil, bob.auth...)
		expect(t, r, http.StatusOK, "limit=100")
		page = decode[pageJSON[taskJSON]](t, r)
		if len(page.Items) != len(seeds) || page.NextCursor != nil {
			t.Errorf("limit=100: %d items, next %v", len(page.Items), page.NextCursor)
		}
		r = app.Do(t, "GET", projectPath(p.ID, "/tasks?limit=12"), nil, bob.auth...)
		page = decode[pageJSON[taskJSON]](t, r)
		if len(page.Items) != 12 || page.NextCursor != nil {
			t.Errorf("limit equal to the count: %d items, next_cursor %v (want null: no empty last page)", len(page.Items), page.NextCursor)
		}
	})
}

// Walking every page while another client inserts tasks yields every task
// that existed before the walk exactly once, in every order.
func TestProjectsPaginationUnderConcurrentInserts(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")
	p := createProject(t, app, alice, "Busy")
	addMember(t, app, alice, p.ID, bob, "member")

	prios := []string{"low", "normal", "high", "urgent"}
	before := map[int64]bool{}
	for i := range 40 {
		body := map[string]any{"title": fmt.Sprintf("pre %02d", i), "priority": prios[i%4]}
		if i%3 != 0 {
			body["due_date"] = fmt.Sprintf("2030-01-%02d", 1+i%5)
		}
		before[createTask(t, app, alice, p.ID, body).ID] = true
	}

	for _, order := range []string{"-created_at", "due_date", "-priority"} {
		t.Run(order, func(t *testing.T) {
			var inserted atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // another client keeps adding tasks of every kind
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := map[string]any{"title": fmt.Sprintf("new %s %d", order, i), "priority": prios[i%4]}
					if i%2 == 0 {
						body["due_date"] = fmt.Sprintf("2030-01-%02d", 1+i%5)
					}
					r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), body, alice.auth...)
					if r.Status != http.StatusCreated {
						t.Errorf("concurrent insert: %d %s", r.Status, r.Body)
						return
					}
					inserted.Add(1)
				}
			}()
			// Each page is fetched after at least one more insert landed.
			waitInsert := func() {
				n := inserted.Load()
				deadline := time.Now().Add(10 * time.Second)
				for inserted.Load() == n && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
			}
			got := walk[taskJSON](t, app, bob, projectPath(p.ID, "/tasks?limit=7&order="+url.QueryEscape(order)), waitInsert)
			close(stop)
			wg.Wait()

			seen := map[int64]int{}
			for _, task := range got {
				seen[task.ID]++
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("task %d seen %d times", id, n)
				}
			}
			for id := range before {
				if seen[id] != 1 {
					t.Errorf("pre-existing task %d seen %d times, want once", id, seen[id])
				}
			}
			if inserted.Load() < 5 {
				t.Errorf("only %d concurrent inserts happened during the walk", inserted.Load())
			}
			t.Logf("%s: %d rows walked, %d inserted during the walk", order, len(got), inserted.Load())
		})
	}
}

// A cursor is opaque and tamper-evident: anything but an unmodified cursor
// of the same list (project, order, filters) is a 400 naming the cursor.
func TestProjectsForgedCursors(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice := newUser(t, app, "Alice")
	p := createProject(t, app, alice, "Cursors")
	q := createProject(t, app, alice, "Other")
	createProject(t, app, alice, "Third")
	var task taskJSON
	for i := range 3 {
		task = createTask(t, app, alice, p.ID, map[string]any{"title": fmt.Sprintf("t%d", i), "status": "todo"})
		createTask(t, app, alice, q.ID, map[string]any{"title": fmt.Sprintf("t%d", i)})
		expect(t, app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "c"}, alice.auth...), http.StatusCreated, "comment")
	}
	expect(t, app.Do(t, "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "c2"}, alice.auth...), http.StatusCreated, "comment")

	cursorOf := func(path string) string {
		t.Helper()
		r := app.Do(t, "GET", path, nil, alice.auth...)
		expect(t, r, http.StatusOK, path)
		page := decode[pageJSON[json0]](t, r)
		if page.NextCursor == nil {
			t.Fatalf("%s: no next_cursor", path)
		}
		return *page.NextCursor
	}
	tasksCur := cursorOf(projectPath(p.ID, "/tasks?limit=1"))
	// The valid cursor works.
	expect(t, app.Do(t, "GET", projectPath(p.ID, "/tasks?limit=1&cursor="+tasksCur), nil, alice.auth...), http.StatusOK, "valid cursor")

	body, mac, _ := strings.Cut(tasksCur, ".")
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("cursor %q: %v", tasksCur, err)
	}
	// A payload edited to point elsewhere, with the original MAC.
	edited := strings.Replace(string(payload), `"i":`, `"i":1`, 1)
	if edited == string(payload) {
		t.Fatalf("cursor payload %s has no id to edit", payload)
	}
	flip := []byte(tasksCur)
	flip[len(flip)-2] ^= 1

	cases := []struct{ name, path string }{
		{"garbage", projectPath(p.ID, "/tasks?cursor=abc")},
		{"not base64", projectPath(p.ID, "/tasks?cursor=%21%21%21.%21%21")},
		{"empty parts", projectPath(p.ID, "/tasks?cursor=.")},
		{"payload without MAC", projectPath(p.ID, "/tasks?cursor="+body)},
		{"flipped MAC bit", projectPath(p.ID, "/tasks?cursor="+url.QueryEscape(string(flip)))},
		{"edited payload", projectPath(p.ID, "/tasks?cursor="+base64.RawURLEncoding.EncodeToString([]byte(edited))+"."+mac)},
		{"forged JSON", projectPath(p.ID, "/tasks?cursor="+base64.RawURLEncoding.EncodeToString([]byte(`{"i":1}`))+"."+mac)},
		{"huge", projectPath(p.ID, "/tasks?cursor="+strings.Repeat("A", 5000)+"."+mac)},
		{"other project", projectPath(q.ID, "/tasks?limit=1&cursor="+tasksCur)},
		{"other order", projectPath(p.ID, "/tasks?limit=1&order=due_date&cursor="+tasksCur)},
		{"other filter", projectPath(p.ID, "/tasks?limit=1&status=todo&cursor="+tasksCur)},
		{"projects cursor on tasks", projectPath(p.ID, "/tasks?cursor="+cursorOf("/api/v1/projects?limit=1"))},
		{"tasks cursor on projects", "/api/v1/projects?cursor=" + tasksCur},
		{"tasks cursor on comments", taskPath(task.ID, "/comments?cursor="+tasksCur)},
		{"comments cursor on members", projectPath(p.ID, "/members?cursor="+cursorOf(taskPath(task.ID, "/comments?limit=1")))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := app.Do(t, "GET", c.path, nil, alice.auth...)
			expectProblem(t, r, http.StatusBadRequest, []string{"cursor:cursor"}, c.name)
		})
	}
}

type json0 = map[string]any

// If-None-Match gets 304; a stale If-Match gets 412 and changes nothing.
func TestProjectsConditionalRequests(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice := newUser(t, app, "Alice")
	p := createProject(t, app, alice, "Etags")
	task := createTask(t, app, alice, p.ID, map[string]any{"title": "v1"})

	resources := []struct {
		name, path string
		patch      map[string]any
	}{
		{"project", projectPath(p.ID), map[string]any{"name": "renamed"}},
		{"task", taskPath(task.ID), map[string]any{"title": "renamed", "status": "done"}},
	}
	for _, res := range resources {
		t.Run(res.name, func(t *testing.T) {
			r := app.Do(t, "GET", res.path, nil, alice.auth...)
			expect(t, r, http.StatusOK, "GET")
			tag := r.Header.Get("ETag")
			if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
				t.Fatalf("ETag %q is not a strong entity tag", tag)
			}
			for _, inm := range []string{tag, "W/" + tag, `"x", ` + tag, "*"} {
				r := app.Do(t, "GET", res.path, nil, alice.with("If-None-Match", inm)...)
				if r.Status != http.StatusNotModified || len(r.Body) != 0 {
					t.Errorf("If-None-Match %s: %d %q, want 304 without body", inm, r.Status, r.Body)
				}
				if r.Header.Get("ETag") != tag {
					t.Errorf("304 ETag = %q, want %q", r.Header.Get("ETag"), tag)
				}
			}
			if r := app.Do(t, "GET", res.path, nil, alice.with("If-None-Match", `"0-0"`)...); r.Status != http.StatusOK {
				t.Errorf("If-None-Match of another version: %d", r.Status)
			}

			// A first write with the current tag moves the version on.
			r = app.Do(t, "PATCH", res.path, res.patch, alice.with("If-Match", tag)...)
			expect(t, r, http.StatusOK, "PATCH with the current ETag")
			current, currentBody := r.Header.Get("ETag"), string(r.Body)
			if current == tag {
				t.Fatalf("ETag did not change: %s", tag)
			}
			if r := app.Do(t, "GET", res.path, nil, alice.with("If-None-Match", tag)...); r.Status != http.StatusOK {
				t.Errorf("If-None-Match of the old version: %d, want 200", r.Status)
			}

			// Stale, weak and foreign tags all get 412 and change nothing.
			for _, im := range []string{tag, "W/" + current, `"999-1"`, `"` + strings.Trim(current, `"`) + `0"`} {
				for _, method := range []string{"PATCH", "DELETE"} {
					var b any
					if method == "PATCH" {
						b = map[string]any{"description": "must not be written"}
					}
					expectProblem(t, app.Do(t, method, res.path, b, alice.with("If-Match", im)...), http.StatusPreconditionFailed, nil, method+" If-Match "+im)
				}
			}
			r = app.Do(t, "GET", res.path, nil, alice.auth...)
			expect(t, r, http.StatusOK, "GET after 412s")
			if r.Header.Get("ETag") != current || string(r.Body) != currentBody {
				t.Errorf("after 412s: %s %s, want %s %s", r.Header.Get("ETag"), r.Body, current, currentBody)
			}

			expectProblem(t, app.Do(t, "PATCH", res.path, res.patch, alice.with("If-Match", "not-quoted")...), http.StatusBadRequest, nil, "malformed If-Match")
			r = app.Do(t, "PATCH", res.path, map[string]any{"description": "any version"}, alice.with("If-Match", "*")...)
			expect(t, r, http.StatusOK, "If-Match *")
			r = app.Do(t, "PATCH", res.path, map[string]any{"description": "list"}, alice.with("If-Match", `"1-999", `+r.Header.Get("ETag"))...)
			expect(t, r, http.StatusOK, "If-Match list with the current tag")
		})
	}

	t.Run("delete", func(t *testing.T) {
		tk := createTask(t, app, alice, p.ID, map[string]any{"title": "to delete"})
		_, tag := getTask(t, app, alice, tk.ID)
		expect(t, app.Do(t, "PATCH", taskPath(tk.ID), map[string]any{"title": "moved on"}, alice.auth...), http.StatusOK, "PATCH")
		expectProblem(t, app.Do(t, "DELETE", taskPath(tk.ID), nil, alice.with("If-Match", tag)...), http.StatusPreconditionFailed, nil, "stale DELETE")
		_, tag = getTask(t, app, alice, tk.ID)
		expect(t, app.Do(t, "DELETE", taskPath(tk.ID), nil, alice.with("If-Match", tag)...), http.StatusNoContent, "DELETE with current ETag")
	})
}
