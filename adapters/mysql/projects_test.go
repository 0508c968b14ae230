package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

// projectRepos is the repositories factory the unit of work needs, limited
// to what these tests touch.
func projectRepos(db bun.IDB) ports.Repos {
	return ports.Repos{
		Users:       adapter.NewUserRepository(db),
		Projects:    adapter.NewProjectRepository(db),
		Members:     adapter.NewMemberRepository(db),
		Tasks:       adapter.NewTaskRepository(db),
		Comments:    adapter.NewCommentRepository(db),
		Idempotency: adapter.NewIdempotencyRepository(db),
	}
}

var userN atomic.Int64

func newUser(t *testing.T, db bun.IDB) int64 {
	t.Helper()
	u, err := accounts.NewUser(fmt.Sprintf("p%d-%d@example.com", time.Now().UnixNano(), userN.Add(1)), "P", "en",
		time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash = "!"
	if err := adapter.NewUserRepository(db).Create(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestProjectRepositoriesContract(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	porttest.ProjectRepositories(t, porttest.ProjectsFixture{
		Repos:   projectRepos(db),
		UoW:     adapter.NewUnitOfWork(db, projectRepos),
		NewUser: func(t *testing.T) int64 { return newUser(t, db) },
	})
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func newService(db *bun.DB) *appprojects.Service {
	return appprojects.NewService(adapter.NewUnitOfWork(db, projectRepos), projectRepos(db), nil, nil,
		fixedClock{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, appprojects.Config{IdempotencyTTL: 24 * time.Hour})
}

// TestConcurrentIdempotentCreates sends identical keyed creates at once: the
// unique (user_id, idem_key) index lets one claim the key; the others are
// told it is in progress until its task exists, and then replay it.
func TestConcurrentIdempotentCreates(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	mysqltest.RequireInnoDB(t, db) // the embedded engine does not make the twin wait
	ctx := context.Background()
	svc := newService(db)
	owner := newUser(t, db)
	p, _, err := svc.CreateProject(ctx, owner, appprojects.NewProject{Name: "P"}, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	ids := make([]int64, n)
	replays := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tk, replayed, err := svc.CreateTask(ctx, owner, p.Project.ID, dp.TaskDraft{Title: "once"}, "same-key")
			for errors.Is(err, dp.ErrIdempotencyInProgress) { // as a client honouring Retry-After would
				time.Sleep(10 * time.Millisecond)
				tk, replayed, err = svc.CreateTask(ctx, owner, p.Project.ID, dp.TaskDraft{Title: "once"}, "same-key")
			}
			if err != nil {
				t.Errorf("create %d: %v", i, err)
			}
			ids[i], replays[i] = tk.ID, replayed
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		if ids[i] != ids[0] {
			t.Fatalf("requests got tasks %v, want one task", ids)
		}
		if !replays[i] {
			created++
		}
	}
	var count int
	if err := db.NewRaw("SELECT COUNT(*) FROM tasks WHERE project_id = ?", p.Project.ID).Scan(ctx, &count); err != nil {
		t.Fatal(err)
	}
	if count != 1 || created != 1 {
		t.Fatalf("%d tasks stored, %d requests created; want 1 and 1", count, created)
	}
}

// TestConcurrentPatchesSameIfMatch: of writers holding the same ETag,
// exactly one wins; the others get 412 (the check runs under FOR UPDATE).
func TestConcurrentPatchesSameIfMatch(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	ctx := context.Background()
	svc := newService(db)
	owner := newUser(t, db)
	p, _, _ := svc.CreateProject(ctx, owner, appprojects.NewProject{Name: "P"}, "")
	tk, _, err := svc.CreateTask(ctx, owner, p.Project.ID, dp.TaskDraft{Title: "t"}, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			title := fmt.Sprint("w", i)
			_, errs[i] = svc.UpdateTask(ctx, owner, tk.ID, dp.TaskChanges{Title: &title}, []int64{tk.Version})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !domain.IsKind(err, domain.KindPreconditionFailed):
			t.Fatalf("unexpected %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
}

// TestTaskListUsesIndex shows with EXPLAIN that every task list order reads
// an index in order: the chosen key is the order's index and Extra has no
// "Using filesort". Such a plan reads at most limit+1 index entries whatever
// the project's size: for a project of 100,000 tasks a page still costs ~51
// rows. Seeding 100,000 rows would make the test slow; a few thousand over
// two projects, with fresh statistics (ANALYZE TABLE), are enough for the
// optimizer to pick the same plan it picks at 100,000, and no index is
// forced.
func TestTaskListUsesIndex(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	mysqltest.RequireInnoDB(t, db) // the embedded engine has no comparable EXPLAIN
	ctx := context.Background()
	owner := newUser(t, db)
	var pids []int64
	for range 2 {
		p, _ := dp.NewProject("big", "", owner, time.Now())
		if err := adapter.NewProjectRepository(db).Create(ctx, &p); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p.ID)
	}
	const perProject, batch = 2500, 500
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, pid := range pids {
		for start := 0; start < perProject; start += batch {
			var sb strings.Builder
			var args []any
			sb.WriteString("INSERT INTO tasks (project_id, title, description, status, priority, due_date, due_order," +
				" created_by, created_at, updated_at, version) VALUES ")
			for i := start; i < start+batch; i++ {
				if i > start {
					sb.WriteString(",")
				}
				sb.WriteString("(?, ?, '', ?, ?, ?, ?, ?, ?, ?, 1)")
				due := base.AddDate(0, 0, i%365).Format(time.DateOnly)
				at := base.Add(time.Duration(i) * time.Second)
				args = append(args, pid, fmt.Sprint("task ", i), []string{"todo", "in_progress", "done"}[i%3], i%4,
					due, due, owner, at, at)
			}
			if _, err := db.NewRaw(sb.String(), args...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.NewRaw("ANALYZE TABLE tasks").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A cursor deep in the list (about 90% read), where reading from the top
	// would cost most: the plan must start the scan at the cursor.
	after := &ports.TaskKey{ID: 1 << 40, CreatedAt: base.Add(250 * time.Second),
		DueDate: &dp.Date{Year: 2030, Month: 12, Day: 1}, Priority: dp.PriorityLow}
	// A cursor near the top (about 4% read, 96% still ahead): the case where
	// the optimizer, asked for whole rows, preferred reading from the
	// project's first index entry; the ID query must still range-scan.
	nearTop := &ports.TaskKey{ID: 1 << 40, CreatedAt: base.Add(2400 * time.Second),
		DueDate: &dp.Date{Year: 2030, Month: 1, Day: 15}, Priority: dp.PriorityUrgent}
	cases := []struct {
		name    string
		q       ports.TaskQuery
		wantKey string
	}{
		{"default order, cursor near the top", ports.TaskQuery{Order: ports.OrderNewest, After: nearTop}, "tasks_project_created_idx"},
		{"due date order, cursor near the top", ports.TaskQuery{Order: ports.OrderDueDate, After: nearTop}, "tasks_project_due_idx"},
		// A cursor must make the scan start at the cursor (type "range"),
		// not at the project's first row.
		{"default order, first page", ports.TaskQuery{Order: ports.OrderNewest}, "tasks_project_created_idx"},
		{"default order, after a cursor", ports.TaskQuery{Order: ports.OrderNewest, After: after}, "tasks_project_created_idx"},
		{"status filter, first page", ports.TaskQuery{Order: ports.OrderNewest, Filter: ports.TaskFilter{Status: dp.StatusTodo}}, "tasks_project_status_created_idx"},
		{"due date order, first page", ports.TaskQuery{Order: ports.OrderDueDate}, "tasks_project_due_idx"},
		{"status filter, default order", ports.TaskQuery{Order: ports.OrderNewest, Filter: ports.TaskFilter{Status: dp.StatusTodo}, After: after}, "tasks_project_status_created_idx"},
		{"due date order", ports.TaskQuery{Order: ports.OrderDueDate, After: after}, "tasks_project_due_idx"},
		{"priority order", ports.TaskQuery{Order: ports.OrderPriority, After: after}, "tasks_project_priority_idx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.ProjectID, tc.q.Limit = pids[0], 51
			// What List runs: whole rows for a first page, the IDs of the
			// deferred join after a cursor.
			cols := "t.id"
			if tc.q.After == nil {
				cols = adapter.TaskCols
			}
			query, args := adapter.TaskListSQL(tc.q, cols)
			var plan []map[string]any
			if err := db.NewRaw("EXPLAIN "+query, args...).Scan(ctx, &plan); err != nil {
				t.Fatal(err)
			}
			if len(plan) != 1 {
				t.Fatalf("plan has %d rows: %v", len(plan), plan)
			}
			key, extra := str(plan[0]["key"]), str(plan[0]["Extra"])
			if tc.q.After != nil && str(plan[0]["type"]) != "range" {
				t.Errorf("plan type %q, want range: the scan must start at the cursor", str(plan[0]["type"]))
			}
			if key != tc.wantKey || strings.Contains(extra, "filesort") {
				t.Fatalf("plan uses key %q, extra %q; want key %s without filesort (%v)", key, extra, tc.wantKey, plan[0])
			}
		})
	}
}

func str(v any) string {
	switch s := v.(type) {
	case sql.NullString:
		return s.String
	case []byte:
		return string(s)
	case string:
		return s
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
