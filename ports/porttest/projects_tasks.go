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

// TaskRepository checks ports.TaskRepository: create, read with the caller's
// access, update and its rollback, delete with the task's comments, every
// filter and order walked page by page, and concurrent updates.
func TaskRepository(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	t.Run("tasks: assigned to a user, in one project", func(t *testing.T) {
		owner, other := f.NewUser(t), f.NewUser(t)
		p, q := f.newProject(t, owner), f.newProject(t, owner)
		a := f.newTask(t, p, dp.TaskDraft{AssigneeID: &other}, base)
		f.newTask(t, p, dp.TaskDraft{AssigneeID: &owner}, base)
		f.newTask(t, p, dp.TaskDraft{}, base)
		b := f.newTask(t, p, dp.TaskDraft{AssigneeID: &other}, base)
		f.newTask(t, q, dp.TaskDraft{AssigneeID: &other}, base)
		got, err := r.Tasks.AssignedTo(ctx, p.ID, other)
		if err != nil || len(got) != 2 || got[0] != a.ID || got[1] != b.ID {
			t.Fatalf("AssignedTo = %v, %v; want [%d %d]", got, err, a.ID, b.ID)
		}
		if got, err := r.Tasks.AssignedTo(ctx, p.ID, f.NewUser(t)); err != nil || len(got) != 0 {
			t.Fatalf("AssignedTo(nobody's) = %v, %v", got, err)
		}
	})

	t.Run("tasks: create, read with access, update, delete with comments", func(t *testing.T) {
		owner, stranger := f.NewUser(t), f.NewUser(t)
		p := f.newProject(t, owner)
		due := dp.Date{Year: 2030, Month: 2, Day: 28}
		tk := f.newTask(t, p, dp.TaskDraft{Description: "d", Status: dp.StatusDone, Priority: dp.PriorityHigh,
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
		// A delete guarded by a version that has since moved matches nothing.
		moved, err := r.Tasks.Update(ctx, tk.ID, func(t *dp.Task) error {
			title := "moved on"
			return t.Apply(dp.TaskChanges{Title: &title}, base.Add(time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
		assertKind(t, "Delete at the old version", r.Tasks.Delete(ctx, tk.ID, tk.Version), domain.KindPreconditionFailed)
		if _, err := r.Tasks.ByID(ctx, tk.ID); err != nil {
			t.Fatalf("a refused Delete removed the task: %v", err)
		}
		if err := r.Tasks.Delete(ctx, tk.ID, moved.Version); err != nil {
			t.Fatal(err)
		}
		_, err = r.Tasks.ByID(ctx, tk.ID)
		assertKind(t, "ByID deleted", err, domain.KindNotFound)
		assertKind(t, "Delete twice", r.Tasks.Delete(ctx, tk.ID, 0), domain.KindNotFound)
		assertKind(t, "Delete twice at a version", r.Tasks.Delete(ctx, tk.ID, moved.Version), domain.KindNotFound)
		if cs, _ := r.Comments.List(ctx, tk.ID, 0, 10); len(cs) != 0 {
			t.Fatalf("comments survived their task: %+v", cs)
		}
		c2 := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: "late", CreatedAt: base}
		assertKind(t, "comment on deleted task", r.Comments.Create(ctx, &c2), domain.KindNotFound)
		orphan := dp.Task{ProjectID: 1 << 62, Title: "x", Status: dp.StatusTodo, Priority: dp.PriorityLow, CreatedBy: owner, CreatedAt: base, UpdatedAt: base, Version: 1}
		assertKind(t, "task in absent project", r.Tasks.Create(ctx, &orphan), domain.KindNotFound)
	})

	t.Run("writes checked against membership in the same statement", func(t *testing.T) {
		owner, stranger := f.NewUser(t), f.NewUser(t)
		p := f.newProject(t, owner)
		draft := func(by int64, assignee *int64) dp.Task {
			return dp.Task{ProjectID: p.ID, Title: "m", Status: dp.StatusTodo, Priority: dp.PriorityLow,
				AssigneeID: assignee, CreatedBy: by, CreatedAt: base, UpdatedAt: base, Version: 1}
		}
		for name, tk := range map[string]dp.Task{
			"a stranger's task":      draft(stranger, nil),
			"a stranger as assignee": draft(owner, &stranger),
			"a task in no project":   {ProjectID: 1 << 62, Title: "x", Status: dp.StatusTodo, Priority: dp.PriorityLow, CreatedBy: owner, CreatedAt: base, UpdatedAt: base, Version: 1},
		} {
			if created, err := r.Tasks.CreateIfMember(ctx, &tk, 0); err != nil || created {
				t.Errorf("CreateIfMember(%s) = %v, %v; want nothing created", name, created, err)
			}
		}
		tk := draft(owner, &owner)
		if created, err := r.Tasks.CreateIfMember(ctx, &tk, 0); err != nil || !created || tk.ID == 0 {
			t.Fatalf("CreateIfMember(member) = %v, %v, ID %d", created, err, tk.ID)
		}
		if got, err := r.Tasks.ByID(ctx, tk.ID); err != nil || !sameTask(got, tk) {
			t.Fatalf("ByID = %+v, %v\nwant %+v", got, err, tk)
		}
		next := tk
		title := "changed"
		if err := next.Apply(dp.TaskChanges{Title: &title}, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if saved, err := r.Tasks.SaveIfMember(ctx, next, tk.Version, stranger); err != nil || saved {
			t.Fatalf("SaveIfMember(stranger) = %v, %v; want refused", saved, err)
		}
		withStranger := next
		withStranger.AssigneeID = &stranger
		if saved, err := r.Tasks.SaveIfMember(ctx, withStranger, tk.Version, owner); err != nil || saved {
			t.Fatalf("SaveIfMember(stranger as assignee) = %v, %v; want refused", saved, err)
		}
		if saved, err := r.Tasks.SaveIfMember(ctx, next, tk.Version, owner); err != nil || !saved {
			t.Fatalf("SaveIfMember(member) = %v, %v", saved, err)
		}
		if saved, err := r.Tasks.SaveIfMember(ctx, next, tk.Version, owner); err != nil || saved {
			t.Fatalf("SaveIfMember with a stale version = %v, %v; want refused", saved, err)
		}
		if got, _ := r.Tasks.ByID(ctx, tk.ID); !sameTask(got, next) {
			t.Fatalf("after SaveIfMember: %+v\nwant %+v", got, next)
		}
	})

	t.Run("task lists: filters and orders combine, pages walk every row once", func(t *testing.T) {
		owner, other := f.NewUser(t), f.NewUser(t)
		p := f.newProject(t, owner)
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: other, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		f.newTask(t, f.newProject(t, owner), dp.TaskDraft{}, base) // another project's task never shows
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
			all = append(all, f.newTask(t, p, d, base.Add(time.Duration(i/2)*time.Second)))
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
							// Every field comes back as stored, nullable ones included.
							if i := slices.IndexFunc(all, func(a dp.Task) bool { return a.ID == tk.ID }); i >= 0 && !sameTask(tk, all[i]) {
								t.Fatalf("listed %+v\nstored %+v", tk, all[i])
							}
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

	t.Run("concurrent updates never lose one", func(t *testing.T) {
		p := f.newProject(t, f.NewUser(t))
		tk := f.newTask(t, p, dp.TaskDraft{}, base)
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

func sameTask(a, b dp.Task) bool {
	eqI := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqD := func(x, y *dp.Date) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.ID == b.ID && a.ProjectID == b.ProjectID && a.Title == b.Title && a.Description == b.Description &&
		a.Status == b.Status && a.Priority == b.Priority && eqI(a.AssigneeID, b.AssigneeID) && eqD(a.DueDate, b.DueDate) &&
		a.CreatedBy == b.CreatedBy && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		eqT(a.CompletedAt, b.CompletedAt) && a.Version == b.Version
}
