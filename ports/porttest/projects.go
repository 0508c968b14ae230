package porttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectsFixture is what the projects contract suite needs from an
// implementation.
type ProjectsFixture struct {
	// Repos holds Projects, Members, Tasks, Comments and Idempotency.
	Repos ports.Repos
	// UoW runs a transaction over the same storage; nil skips the rollback case.
	UoW ports.UnitOfWork
	// NewUser stores a new user with a unique email and returns its ID.
	NewUser func(t *testing.T) int64
}

// base is the suite's clock: whole microseconds in UTC, what DATETIME(6) keeps.
var base = time.Date(2030, 3, 4, 5, 6, 7, 891000, time.UTC)

// ProjectRepositories checks the project-side repositories together (they
// share tables). Cases isolate themselves with fresh projects and users, so
// the storage may be shared with other tests.
func ProjectRepositories(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	newProject := func(t *testing.T, owner int64) dp.Project {
		t.Helper()
		p, err := dp.NewProject("Porttest "+randomHex(t, 4), "desc", owner, base)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Projects.Create(ctx, &p); err != nil {
			t.Fatalf("Create project: %v", err)
		}
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: owner, Role: dp.RoleOwner, JoinedAt: base}); err != nil {
			t.Fatalf("Add owner: %v", err)
		}
		return p
	}
	newTask := func(t *testing.T, p dp.Project, d dp.TaskDraft, at time.Time) dp.Task {
		t.Helper()
		if d.Title == "" {
			d.Title = "task " + randomHex(t, 3)
		}
		tk, err := dp.NewTask(p.ID, p.OwnerID, d, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Tasks.Create(ctx, &tk); err != nil {
			t.Fatalf("Create task: %v", err)
		}
		return tk
	}

	t.Run("project create, read, role", func(t *testing.T) {
		owner, other := f.NewUser(t), f.NewUser(t)
		p := newProject(t, owner)
		if p.ID <= 0 {
			t.Fatalf("ID = %d", p.ID)
		}
		got, err := r.Projects.ByID(ctx, p.ID)
		if err != nil || !sameProject(got, p) {
			t.Fatalf("ByID = %+v, %v; want %+v", got, err, p)
		}
		for _, tc := range []struct {
			name string
			user int64
			want dp.Role
		}{{"owner", owner, dp.RoleOwner}, {"stranger", other, dp.RoleNone}} {
			t.Run(tc.name, func(t *testing.T) {
				_, role, err := r.Projects.ByIDForUser(ctx, p.ID, tc.user)
				if err != nil || role != tc.want {
					t.Fatalf("role = %q, %v; want %q", role, err, tc.want)
				}
			})
		}
		_, err = r.Projects.ByID(ctx, 1<<62)
		assertKind(t, "ByID absent", err, domain.KindNotFound)
		_, _, err = r.Projects.ByIDForUser(ctx, 1<<62, owner)
		assertKind(t, "ByIDForUser absent", err, domain.KindNotFound)
	})

	t.Run("projects of a user, newest first, paged", func(t *testing.T) {
		u := f.NewUser(t)
		var ids []int64
		for range 5 {
			ids = append(ids, newProject(t, u).ID)
		}
		newProject(t, f.NewUser(t)) // someone else's
		slices.Reverse(ids)
		var got []int64
		var after int64
		for {
			page, err := r.Projects.ListForUser(ctx, u, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, pr := range page {
				if pr.Role != dp.RoleOwner {
					t.Errorf("role = %q", pr.Role)
				}
				got = append(got, pr.Project.ID)
			}
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1].Project.ID
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("walk = %v, want %v", got, ids)
		}
	})

	t.Run("update saves, failing fn rolls back, absent is not found", func(t *testing.T) {
		p := newProject(t, f.NewUser(t))
		name := "renamed"
		up, err := r.Projects.Update(ctx, p.ID, func(p *dp.Project) error {
			return p.Edit(dp.ProjectChanges{Name: &name}, base.Add(time.Minute))
		})
		if err != nil || up.Name != name || up.Version != 2 {
			t.Fatalf("Update = %+v, %v", up, err)
		}
		boom := errors.New("boom")
		_, err = r.Projects.Update(ctx, p.ID, func(p *dp.Project) error {
			p.Name = "lost"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update err = %v, want boom", err)
		}
		got, _ := r.Projects.ByID(ctx, p.ID)
		if got.Name != name || got.Version != 2 || !got.UpdatedAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("after failed update: %+v", got)
		}
		_, err = r.Projects.Update(ctx, 1<<62, func(*dp.Project) error { return nil })
		assertKind(t, "Update absent", err, domain.KindNotFound)
	})

	t.Run("members", func(t *testing.T) {
		owner, a, b := f.NewUser(t), f.NewUser(t), f.NewUser(t)
		p := newProject(t, owner)
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: a, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: a, Role: dp.RoleOwner, JoinedAt: base})
		if !errors.Is(err, dp.ErrAlreadyMember) {
			t.Fatalf("second Add = %v, want ErrAlreadyMember", err)
		}
		err = r.Members.Add(ctx, dp.Member{ProjectID: 1 << 62, UserID: a, Role: dp.RoleOwner, JoinedAt: base})
		assertKind(t, "Add to absent project", err, domain.KindNotFound)

		roles, owners, err := r.Members.Roles(ctx, p.ID, owner, a, b)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]dp.Role{owner: dp.RoleOwner, a: dp.RoleMember}
		if fmt.Sprint(roles) != fmt.Sprint(want) || !slices.Equal(owners, []int64{owner}) {
			t.Fatalf("Roles = %v %v, want %v [%d]", roles, owners, want, owner)
		}
		m, err := r.Members.Get(ctx, p.ID, a)
		if err != nil || m.Role != dp.RoleMember || m.Email == "" || !m.JoinedAt.Equal(base) {
			t.Fatalf("Get = %+v, %v", m, err)
		}
		if err := r.Members.SetRole(ctx, p.ID, a, dp.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if _, owners, _ := r.Members.Roles(ctx, p.ID); !slices.Equal(owners, sorted(owner, a)) {
			t.Fatalf("owners after SetRole = %v", owners)
		}
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: b, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		first, _ := r.Members.List(ctx, p.ID, 0, 2)
		rest, _ := r.Members.List(ctx, p.ID, first[len(first)-1].UserID, 2)
		var got []int64
		for _, m := range append(first, rest...) {
			got = append(got, m.UserID)
		}
		if !slices.Equal(got, sorted(owner, a, b)) {
			t.Fatalf("List walk = %v", got)
		}
		if err := r.Members.Remove(ctx, p.ID, b); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"Remove absent":  r.Members.Remove(ctx, p.ID, b),
			"SetRole absent": r.Members.SetRole(ctx, p.ID, b, dp.RoleOwner),
		} {
			if !errors.Is(err, dp.ErrMemberNotFound) {
				t.Errorf("%s = %v, want ErrMemberNotFound", name, err)
			}
		}
		if _, err := r.Members.Get(ctx, p.ID, b); !errors.Is(err, dp.ErrMemberNotFound) {
			t.Errorf("Get absent = %v", err)
		}
	})

	t.Run("tasks: create, read with access, update, delete with comments", func(t *testing.T) {
		owner, stranger := f.NewUser(t), f.NewUser(t)
		p := newProject(t, owner)
		due := dp.Date{Year: 2030, Month: 2, Day: 28}
		tk := newTask(t, p, dp.TaskDraft{Description: "d", Status: dp.StatusDone, Priority: dp.PriorityHigh,
			AssigneeID: &owner, DueDate: &due}, base)
		got, err := r.Tasks.ByID(ctx, tk.ID)
		if err != nil || !sameTask(got, tk) {
			t.Fatalf("ByID = %+v, %v\nwant %+v", got, err, tk)
		}
		_, acc, err := r.Tasks.ByIDForUser(ctx, tk.ID, owner)
		if err != nil || acc.Role != dp.RoleOwner || acc.ProjectID != p.ID || acc.ProjectVersion != p.Version {
			t.Fatalf("access = %+v, %v", acc, err)
		}
		if _, acc, _ := r.Tasks.ByIDForUser(ctx, tk.ID, stranger); acc.Role != dp.RoleNone {
			t.Fatalf("stranger role = %q", acc.Role)
		}
		up, err := r.Tasks.Update(ctx, tk.ID, func(t *dp.Task) error {
			todo := dp.StatusTodo
			return t.Apply(dp.TaskChanges{Status: &todo, SetAssignee: true, SetDueDate: true}, base.Add(time.Hour))
		})
		if err != nil || up.Version != 2 || up.CompletedAt != nil || up.AssigneeID != nil || up.DueDate != nil {
			t.Fatalf("Update = %+v, %v", up, err)
		}
		if got, _ := r.Tasks.ByID(ctx, tk.ID); !sameTask(got, up) {
			t.Fatalf("after Update: %+v\nwant %+v", got, up)
		}
		boom := errors.New("boom")
		if _, err := r.Tasks.Update(ctx, tk.ID, func(t *dp.Task) error { t.Title = "lost"; return boom }); !errors.Is(err, boom) {
			t.Fatalf("failing Update = %v", err)
		}
		if got, _ := r.Tasks.ByID(ctx, tk.ID); got.Title != tk.Title {
			t.Fatalf("failed Update saved %q", got.Title)
		}
		c := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: "hi", CreatedAt: base}
		if err := r.Comments.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if err := r.Tasks.Delete(ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
		_, err = r.Tasks.ByID(ctx, tk.ID)
		assertKind(t, "ByID deleted", err, domain.KindNotFound)
		assertKind(t, "Delete twice", r.Tasks.Delete(ctx, tk.ID), domain.KindNotFound)
		if cs, _ := r.Comments.List(ctx, tk.ID, 0, 10); len(cs) != 0 {
			t.Fatalf("comments survived their task: %+v", cs)
		}
		c2 := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: "late", CreatedAt: base}
		assertKind(t, "comment on deleted task", r.Comments.Create(ctx, &c2), domain.KindNotFound)
		orphan := dp.Task{ProjectID: 1 << 62, Title: "x", Status: dp.StatusTodo, Priority: dp.PriorityLow, CreatedBy: owner, CreatedAt: base, UpdatedAt: base, Version: 1}
		assertKind(t, "task in absent project", r.Tasks.Create(ctx, &orphan), domain.KindNotFound)
	})

	t.Run("task lists: filters and orders combine, pages walk every row once", func(t *testing.T) {
		owner, other := f.NewUser(t), f.NewUser(t)
		p := newProject(t, owner)
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: other, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		newTask(t, newProject(t, owner), dp.TaskDraft{}, base) // another project's task never shows
		statuses := []dp.Status{dp.StatusTodo, dp.StatusInProgress, dp.StatusDone}
		prios := []dp.Priority{dp.PriorityLow, dp.PriorityNormal, dp.PriorityHigh, dp.PriorityUrgent}
		var all []dp.Task
		for i := range 23 {
			d := dp.TaskDraft{Title: fmt.Sprintf("Item %02d %s", i, []string{"alpha", "Beta", "gamma"}[i%3]),
				Status: statuses[i%3], Priority: prios[i%4]}
			if i%2 == 0 {
				d.AssigneeID = &other
			}
			if i%5 != 0 {
				d.DueDate = &dp.Date{Year: 2030, Month: time.Month(1 + i%3), Day: 1 + i%7}
			}
			// equal created_at for pairs, so the ID tie-break is exercised
			all = append(all, newTask(t, p, d, base.Add(time.Duration(i/2)*time.Second)))
		}
		cutoff := dp.Date{Year: 2030, Month: 2, Day: 3}
		filters := map[string]ports.TaskFilter{
			"none":        {},
			"status":      {Status: dp.StatusTodo},
			"assignee":    {AssigneeID: other},
			"priority":    {Priority: dp.PriorityUrgent},
			"due before":  {DueBefore: &cutoff},
			"query":       {Query: "beta"},
			"combination": {Status: dp.StatusInProgress, AssigneeID: other, Query: "ITEM"},
		}
		for fname, flt := range filters {
			for _, order := range []ports.TaskOrder{ports.OrderNewest, ports.OrderDueDate, ports.OrderPriority} {
				t.Run(fname+" "+string(order), func(t *testing.T) {
					want := expectTasks(all, flt, order)
					var got []int64
					var after *ports.TaskKey
					for range 30 {
						page, err := r.Tasks.List(ctx, ports.TaskQuery{ProjectID: p.ID, Filter: flt, Order: order, After: after, Limit: 4})
						if err != nil {
							t.Fatal(err)
						}
						for _, tk := range page {
							got = append(got, tk.ID)
						}
						if len(page) < 4 {
							break
						}
						k := ports.KeyOf(page[len(page)-1], order)
						after = &k
					}
					if !slices.Equal(got, want) {
						t.Fatalf("walk = %v\nwant   %v", got, want)
					}
				})
			}
		}
	})

	t.Run("comments oldest first, paged", func(t *testing.T) {
		owner := f.NewUser(t)
		p := newProject(t, owner)
		tk := newTask(t, p, dp.TaskDraft{}, base)
		var want []int64
		for i := range 5 {
			c := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: fmt.Sprint(i), CreatedAt: base}
			if err := r.Comments.Create(ctx, &c); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
		}
		first, _ := r.Comments.List(ctx, tk.ID, 0, 3)
		rest, _ := r.Comments.List(ctx, tk.ID, first[2].ID, 3)
		var got []int64
		for _, c := range append(first, rest...) {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) || first[0].Body != "0" || !first[0].CreatedAt.Equal(base) {
			t.Fatalf("comments = %v (%+v), want %v", got, first[0], want)
		}
	})

	t.Run("deleting a project deletes members, tasks and comments", func(t *testing.T) {
		owner := f.NewUser(t)
		p := newProject(t, owner)
		tk := newTask(t, p, dp.TaskDraft{}, base)
		c := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: "x", CreatedAt: base}
		if err := r.Comments.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if err := r.Projects.Delete(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		_, err := r.Projects.ByID(ctx, p.ID)
		assertKind(t, "project", err, domain.KindNotFound)
		_, err = r.Tasks.ByID(ctx, tk.ID)
		assertKind(t, "task", err, domain.KindNotFound)
		if roles, owners, _ := r.Members.Roles(ctx, p.ID, owner); len(roles)+len(owners) != 0 {
			t.Fatalf("members survived: %v %v", roles, owners)
		}
		if cs, _ := r.Comments.List(ctx, tk.ID, 0, 10); len(cs) != 0 {
			t.Fatalf("comments survived: %+v", cs)
		}
		assertKind(t, "Delete twice", r.Projects.Delete(ctx, p.ID), domain.KindNotFound)
	})

	t.Run("idempotency records", func(t *testing.T) {
		u := f.NewUser(t)
		key := "k-" + randomHex(t, 8)
		rec := ports.IdempotencyRecord{UserID: u, Key: key, Fingerprint: randomHex(t, 32), Response: []byte(`{"a":1}`), CreatedAt: base}
		if err := r.Idempotency.Save(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if err := r.Idempotency.Save(ctx, rec); !errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			t.Fatalf("second Save = %v, want ErrIdempotencyKeyUsed", err)
		}
		got, err := r.Idempotency.Get(ctx, u, key)
		if err != nil || got.Fingerprint != rec.Fingerprint || string(got.Response) != `{"a":1}` || !got.CreatedAt.Equal(base) {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		_, err = r.Idempotency.Get(ctx, f.NewUser(t), key)
		assertKind(t, "another user's key", err, domain.KindNotFound)
		if err := r.Idempotency.DeleteExpired(ctx, u, key, base); err != nil { // not older than base: kept
			t.Fatal(err)
		}
		if _, err := r.Idempotency.Get(ctx, u, key); err != nil {
			t.Fatalf("fresh record deleted: %v", err)
		}
		if err := r.Idempotency.DeleteExpired(ctx, u, key, base.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		_, err = r.Idempotency.Get(ctx, u, key)
		assertKind(t, "expired record", err, domain.KindNotFound)
		old := rec
		old.Key, old.CreatedAt = "old-"+randomHex(t, 8), base.Add(-48*time.Hour)
		if err := r.Idempotency.Save(ctx, old); err != nil {
			t.Fatal(err)
		}
		if n, err := r.Idempotency.Purge(ctx, base.Add(-24*time.Hour)); err != nil || n < 1 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
		_, err = r.Idempotency.Get(ctx, u, old.Key)
		assertKind(t, "purged record", err, domain.KindNotFound)
	})

	t.Run("concurrent updates never lose one", func(t *testing.T) {
		p := newProject(t, f.NewUser(t))
		tk := newTask(t, p, dp.TaskDraft{}, base)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = r.Tasks.Update(ctx, tk.ID, func(t *dp.Task) error {
					return t.Apply(dp.TaskChanges{}, base)
				})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case domain.IsKind(err, domain.KindPreconditionFailed):
				// a lost compare-and-set where the engine has no row locks
			default:
				t.Errorf("Update: %v", err)
			}
		}
		got, _ := r.Tasks.ByID(ctx, tk.ID)
		if ok == 0 || got.Version != 1+int64(ok) {
			t.Fatalf("%d updates succeeded but version is %d: an update was lost", ok, got.Version)
		}
	})

	if f.UoW != nil {
		t.Run("unit of work rolls back across repositories", func(t *testing.T) {
			owner := f.NewUser(t)
			var pid int64
			boom := errors.New("boom")
			err := f.UoW.Transact(ctx, func(ctx context.Context, tx ports.Repos) error {
				p, _ := dp.NewProject("rolled back", "", owner, base)
				if err := tx.Projects.Create(ctx, &p); err != nil {
					return err
				}
				pid = p.ID
				if err := tx.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: owner, Role: dp.RoleOwner, JoinedAt: base}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Transact = %v", err)
			}
			_, err = r.Projects.ByID(ctx, pid)
			assertKind(t, "rolled-back project", err, domain.KindNotFound)
			if roles, _, _ := r.Members.Roles(ctx, pid, owner); len(roles) != 0 {
				t.Fatalf("rolled-back membership visible: %v", roles)
			}
		})
	}
}

// expectTasks is the reference semantics of filters and orders, written
// independently of the adapters.
func expectTasks(all []dp.Task, f ports.TaskFilter, o ports.TaskOrder) []int64 {
	var ts []dp.Task
	for _, t := range all {
		if (f.Status == "" || t.Status == f.Status) &&
			(f.Priority == "" || t.Priority == f.Priority) &&
			(f.AssigneeID == 0 || (t.AssigneeID != nil && *t.AssigneeID == f.AssigneeID)) &&
			(f.DueBefore == nil || (t.DueDate != nil && t.DueDate.Before(*f.DueBefore))) &&
			(f.Query == "" || containsFold(t.Title, f.Query)) {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b dp.Task) int {
		switch o {
		case ports.OrderDueDate:
			ad, bd := dp.NoDueDate, dp.NoDueDate
			if a.DueDate != nil {
				ad = *a.DueDate
			}
			if b.DueDate != nil {
				bd = *b.DueDate
			}
			if c := ad.Time().Compare(bd.Time()); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		case ports.OrderPriority:
			if c := b.Priority.Rank() - a.Priority.Rank(); c != 0 {
				return c
			}
			return int(b.ID - a.ID)
		}
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func sorted(ids ...int64) []int64 { slices.Sort(ids); return ids }

func sameProject(a, b dp.Project) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.OwnerID == b.OwnerID &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version
}

func sameTask(a, b dp.Task) bool {
	eqI := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqD := func(x, y *dp.Date) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.ID == b.ID && a.ProjectID == b.ProjectID && a.Title == b.Title && a.Description == b.Description &&
		a.Status == b.Status && a.Priority == b.Priority && eqI(a.AssigneeID, b.AssigneeID) && eqD(a.DueDate, b.DueDate) &&
		a.CreatedBy == b.CreatedBy && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		eqT(a.CompletedAt, b.CompletedAt) && a.Version == b.Version
}
