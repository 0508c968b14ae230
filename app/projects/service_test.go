package projects_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// uow serialises transactions and restores the store's snapshot on error.
type uow struct {
	mu    sync.Mutex
	s     *memory.ProjectsStore
	repos ports.Repos
	n     int // transactions run, to prove replays create nothing
}

func (u *uow) Transact(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	restore := u.s.Snapshot()
	if err := fn(ctx, u.repos); err != nil {
		restore()
		return err
	}
	return nil
}

type env struct {
	svc   *appprojects.Service
	users *memory.UserRepository
	repos ports.Repos
	clock *clock
	cache *mapCache
}

func newEnv(t *testing.T) *env {
	t.Helper()
	users := memory.NewUserRepository()
	s := memory.NewProjectsStore(users)
	repos := ports.Repos{Users: users, Projects: s.Projects(), Members: s.Members(), Tasks: s.Tasks(),
		Comments: s.Comments(), Idempotency: s.Idempotency()}
	c := &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	cache := newMapCache()
	svc := appprojects.NewService(&uow{s: s, repos: repos}, repos, cache, nil, c, appprojects.Config{IdempotencyTTL: 24 * time.Hour})
	return &env{svc: svc, users: users, repos: repos, clock: c, cache: cache}
}

func (e *env) user(t *testing.T, name string) accounts.User {
	t.Helper()
	u, err := accounts.NewUser(fmt.Sprintf("%s@example.com", name), name, "en", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.users.Create(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// team makes a project owned by owner with member as a plain member.
func (e *env) team(t *testing.T) (owner, member, stranger accounts.User, p appprojects.ProjectView) {
	t.Helper()
	ctx := context.Background()
	owner, member, stranger = e.user(t, "owner"), e.user(t, "member"), e.user(t, "stranger")
	p, _, err := e.svc.CreateProject(ctx, owner.ID, appprojects.NewProject{Name: "P"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMember(ctx, owner.ID, p.Project.ID, appprojects.NewMember{Email: "MEMBER@example.com", Role: dp.RoleMember}, ""); err != nil {
		t.Fatal(err)
	}
	return owner, member, stranger, p
}

func wantKind(t *testing.T, err error, want domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); err == nil || got != want {
		t.Fatalf("err = %v (kind %s), want kind %s", err, got, want)
	}
}

func TestAuthorisation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, member, stranger, p := e.team(t)
	pid := p.Project.ID
	tk, _, err := e.svc.CreateTask(ctx, member.ID, pid, dp.TaskDraft{Title: "t"}, "")
	if err != nil {
		t.Fatal(err)
	}
	name := "x"
	ops := map[string]func(caller int64) error{
		"get project": func(c int64) error { _, err := e.svc.GetProject(ctx, c, pid); return err },
		"patch project": func(c int64) error {
			_, err := e.svc.UpdateProject(ctx, c, pid, dp.ProjectChanges{Name: &name}, nil)
			return err
		},
		"list members": func(c int64) error { _, _, err := e.svc.ListMembers(ctx, c, pid, 0, 0); return err },
		"add member": func(c int64) error {
			_, _, err := e.svc.AddMember(ctx, c, pid, appprojects.NewMember{Email: "stranger@example.com", Role: dp.RoleMember}, "")
			return err
		},
		"set role":      func(c int64) error { _, err := e.svc.SetMemberRole(ctx, c, pid, owner.ID, dp.RoleOwner); return err },
		"remove member": func(c int64) error { return e.svc.RemoveMember(ctx, c, pid, owner.ID) },
		"list tasks":    func(c int64) error { _, _, err := e.svc.ListTasks(ctx, c, ports.TaskQuery{ProjectID: pid}); return err },
		"create task": func(c int64) error {
			_, _, err := e.svc.CreateTask(ctx, c, pid, dp.TaskDraft{Title: "t"}, "")
			return err
		},
		"get task":       func(c int64) error { _, err := e.svc.GetTask(ctx, c, tk.ID); return err },
		"patch task":     func(c int64) error { _, err := e.svc.UpdateTask(ctx, c, tk.ID, dp.TaskChanges{}, nil); return err },
		"list comments":  func(c int64) error { _, _, err := e.svc.ListComments(ctx, c, tk.ID, 0, 0); return err },
		"add comment":    func(c int64) error { _, _, err := e.svc.AddComment(ctx, c, tk.ID, "hi", ""); return err },
		"delete project": func(c int64) error { return e.svc.DeleteProject(ctx, c, pid, nil) },
	}
	ownerOnly := map[string]bool{"patch project": true, "add member": true, "set role": true, "remove member": true, "delete project": true}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			wantKind(t, op(stranger.ID), domain.KindNotFound)
			err := op(member.ID)
			if ownerOnly[name] {
				wantKind(t, err, domain.KindForbidden)
			} else if err != nil {
				t.Fatalf("member: %v", err)
			}
		})
	}
	// absent things look exactly like other people's
	_, err = e.svc.GetProject(ctx, owner.ID, 1<<62)
	wantKind(t, err, domain.KindNotFound)
	_, err = e.svc.GetTask(ctx, owner.ID, 1<<62)
	wantKind(t, err, domain.KindNotFound)
}

func TestLastOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, member, _, p := e.team(t)
	pid := p.Project.ID
	err := e.svc.RemoveMember(ctx, owner.ID, pid, owner.ID)
	if !errors.Is(err, dp.ErrLastOwner) {
		t.Fatalf("remove last owner = %v", err)
	}
	_, err = e.svc.SetMemberRole(ctx, owner.ID, pid, owner.ID, dp.RoleMember)
	if !errors.Is(err, dp.ErrLastOwner) {
		t.Fatalf("demote last owner = %v", err)
	}
	if _, err := e.svc.SetMemberRole(ctx, owner.ID, pid, member.ID, dp.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemoveMember(ctx, owner.ID, pid, owner.ID); err != nil {
		t.Fatalf("leave with another owner: %v", err)
	}
	got, err := e.svc.GetProject(ctx, member.ID, pid)
	if err != nil || got.Project.OwnerID != member.ID || got.Role != dp.RoleOwner {
		t.Fatalf("after hand-over: %+v, %v", got, err)
	}
	_, err = e.svc.GetProject(ctx, owner.ID, pid)
	wantKind(t, err, domain.KindNotFound) // the cache learned the removal too
	_, _, err = e.svc.AddMember(ctx, member.ID, pid, appprojects.NewMember{Email: "nobody@example.com", Role: dp.RoleMember}, "")
	if !errors.Is(err, dp.ErrUserNotFound) {
		t.Fatalf("unknown email = %v", err)
	}
	_, _, err = e.svc.AddMember(ctx, member.ID, pid, appprojects.NewMember{Email: "member@example.com", Role: dp.RoleMember}, "")
	if !errors.Is(err, dp.ErrAlreadyMember) {
		t.Fatalf("existing member = %v", err)
	}
}

func TestTaskLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, member, stranger, p := e.team(t)
	_, _, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "t", AssigneeID: &stranger.ID}, "")
	if !errors.Is(err, dp.ErrAssigneeNotMember) {
		t.Fatalf("non-member assignee = %v", err)
	}
	tk, _, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "t", AssigneeID: &member.ID}, "")
	if err != nil || tk.Version != 1 || tk.Status != dp.StatusTodo || tk.Priority != dp.PriorityNormal {
		t.Fatalf("create = %+v, %v", tk, err)
	}
	done, todo := dp.StatusDone, dp.StatusTodo
	steps := []struct {
		name      string
		c         dp.TaskChanges
		ifMatch   []int64
		wantKind  domain.Kind
		completed bool
	}{
		{name: "enter done", c: dp.TaskChanges{Status: &done}, ifMatch: []int64{1}, completed: true},
		{name: "stale If-Match", c: dp.TaskChanges{Status: &todo}, ifMatch: []int64{1}, wantKind: domain.KindPreconditionFailed, completed: true},
		{name: "stay done", c: dp.TaskChanges{}, completed: true},
		{name: "assign a stranger", c: dp.TaskChanges{SetAssignee: true, AssigneeID: &stranger.ID}, wantKind: domain.KindInvalid, completed: true},
		{name: "leave done and unassign", c: dp.TaskChanges{Status: &todo, SetAssignee: true}},
	}
	version := tk.Version
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.clock.Add(time.Minute)
			got, err := e.svc.UpdateTask(ctx, member.ID, tk.ID, s.c, s.ifMatch)
			if s.wantKind != domain.KindInternal {
				wantKind(t, err, s.wantKind)
				got, _ = e.svc.GetTask(ctx, member.ID, tk.ID)
				if got.Version != version {
					t.Fatalf("failed update changed the version: %d -> %d", version, got.Version)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				version++
				if got.Version != version || !got.UpdatedAt.Equal(e.clock.Now()) {
					t.Fatalf("version %d updated %v, want %d %v", got.Version, got.UpdatedAt, version, e.clock.Now())
				}
			}
			if (got.CompletedAt != nil) != s.completed {
				t.Fatalf("completed_at = %v, want set=%v", got.CompletedAt, s.completed)
			}
			if cached, _ := e.svc.GetTask(ctx, owner.ID, tk.ID); cached.Version != version {
				t.Fatalf("read after write saw version %d, want %d", cached.Version, version)
			}
		})
	}
	if err := e.svc.DeleteTask(ctx, member.ID, tk.ID, []int64{version - 1}); !domain.IsKind(err, domain.KindPreconditionFailed) {
		t.Fatalf("stale delete = %v", err)
	}
	if err := e.svc.DeleteTask(ctx, member.ID, tk.ID, []int64{version}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetTask(ctx, owner.ID, tk.ID)
	wantKind(t, err, domain.KindNotFound)
}

func TestConcurrentPatchSameIfMatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _, _, p := e.team(t)
	tk, _, _ := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "t"}, "")
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			title := fmt.Sprint("writer ", i)
			_, errs[i] = e.svc.UpdateTask(ctx, owner.ID, tk.ID, dp.TaskChanges{Title: &title}, []int64{tk.Version})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if !domain.IsKind(err, domain.KindPreconditionFailed) {
			t.Fatalf("unexpected %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _, _, p := e.team(t)
	d := dp.TaskDraft{Title: "once"}
	first, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-1")
	if err != nil || replayed {
		t.Fatalf("first = %v, %v", replayed, err)
	}
	again, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-1")
	if err != nil || !replayed || again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry = %+v %v %v, want the first task %d", again, replayed, err, first.ID)
	}
	_, _, err = e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "other"}, "key-1")
	if !errors.Is(err, dp.ErrIdempotencyMismatch) || domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("different body = %v", err)
	}
	_, _, err = e.svc.AddComment(ctx, owner.ID, first.ID, "once", "key-1")
	if !errors.Is(err, dp.ErrIdempotencyMismatch) {
		t.Fatalf("same key on another endpoint = %v", err)
	}
	items, _, _ := e.svc.ListTasks(ctx, owner.ID, ports.TaskQuery{ProjectID: p.Project.ID})
	if len(items) != 1 {
		t.Fatalf("%d tasks exist, want 1", len(items))
	}

	t.Run("concurrent twins create once", func(t *testing.T) {
		var wg sync.WaitGroup
		ids := make([]int64, 5)
		for i := range ids {
			wg.Go(func() {
				pv, _, err := e.svc.CreateProject(ctx, owner.ID, appprojects.NewProject{Name: "twin"}, "key-2")
				if err != nil {
					t.Error(err)
				}
				ids[i] = pv.Project.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("twins got projects %v", ids)
			}
		}
	})

	t.Run("concurrent task twins create once", func(t *testing.T) {
		// The first claims the key; the others are told it is in progress
		// (409 with Retry-After) until its task exists, then replay it.
		var wg sync.WaitGroup
		ids := make([]int64, 5)
		created := make([]bool, len(ids))
		for i := range ids {
			wg.Go(func() {
				tk, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "twin"}, "key-3")
				for errors.Is(err, dp.ErrIdempotencyInProgress) {
					time.Sleep(time.Millisecond)
					tk, replayed, err = e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "twin"}, "key-3")
				}
				if err != nil {
					t.Error(err)
				}
				ids[i], created[i] = tk.ID, !replayed
			})
		}
		wg.Wait()
		n := 0
		for i, id := range ids {
			if id != ids[0] {
				t.Fatalf("twins got tasks %v", ids)
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d twins created, want 1", n)
		}
	})

	t.Run("a claim without a task waits, then is taken over", func(t *testing.T) {
		d := dp.TaskDraft{Title: "claimed"}
		tk, _, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-4")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteTask(ctx, owner.ID, tk.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-4")
		var de *domain.Error
		if !errors.Is(err, dp.ErrIdempotencyInProgress) || !errors.As(err, &de) || de.Kind != domain.KindConflict || de.RetryAfter != time.Second {
			t.Fatalf("retry within the claim timeout = %v, want in progress, Retry-After 1 s", err)
		}
		_, _, err = e.svc.CreateTask(ctx, owner.ID, p.Project.ID, dp.TaskDraft{Title: "other"}, "key-4")
		if !errors.Is(err, dp.ErrIdempotencyMismatch) {
			t.Fatalf("another body on a claim = %v", err)
		}
		e.clock.Add(appprojects.DefaultClaimTimeout + time.Second)
		again, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-4")
		if err != nil || replayed || again.ID == tk.ID {
			t.Fatalf("after the claim timeout = %+v %v %v, want a new task", again, replayed, err)
		}
		replay, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-4")
		if err != nil || !replayed || replay != again {
			t.Fatalf("replay after the takeover = %+v %v %v, want %+v", replay, replayed, err, again)
		}
	})

	t.Run("a refused create releases its claim", func(t *testing.T) {
		stranger := e.user(t, "outsider")
		_, _, err := e.svc.CreateTask(ctx, stranger.ID, p.Project.ID, dp.TaskDraft{Title: "no"}, "key-5")
		wantKind(t, err, domain.KindNotFound)
		if _, err := e.repos.Idempotency.Get(ctx, stranger.ID, "key-5"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("claim after a refused create: %v", err)
		}
	})

	t.Run("expired key creates anew", func(t *testing.T) {
		e.clock.Add(25 * time.Hour)
		later, replayed, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, "key-1")
		if err != nil || replayed || later.ID == first.ID {
			t.Fatalf("after 25h = %+v %v %v", later, replayed, err)
		}
	})

	t.Run("bad keys", func(t *testing.T) {
		for _, key := range []string{string(make([]byte, 256)), "tab\tkey", "é"} {
			_, _, err := e.svc.CreateTask(ctx, owner.ID, p.Project.ID, d, key)
			wantKind(t, err, domain.KindInvalid)
		}
	})
}

func TestListValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _, _, p := e.team(t)
	for name, q := range map[string]ports.TaskQuery{
		"limit 0 is default": {Limit: 0},
		"limit too big":      {Limit: 101},
		"negative limit":     {Limit: -1},
		"unknown order":      {Order: "title"},
		"unknown status":     {Filter: ports.TaskFilter{Status: "closed"}},
		"unknown priority":   {Filter: ports.TaskFilter{Priority: "meh"}},
	} {
		t.Run(name, func(t *testing.T) {
			q.ProjectID = p.Project.ID
			_, _, err := e.svc.ListTasks(ctx, owner.ID, q)
			if name == "limit 0 is default" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantKind(t, err, domain.KindInvalid)
		})
	}
}

func TestCacheServesAndLearnsMembership(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, _, stranger, p := e.team(t)
	pid := p.Project.ID
	if _, err := e.svc.GetProject(ctx, stranger.ID, pid); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMember(ctx, owner.ID, pid, appprojects.NewMember{Email: "stranger@example.com", Role: dp.RoleMember}, ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.GetProject(ctx, stranger.ID, pid)
	if err != nil || got.Role != dp.RoleMember {
		t.Fatalf("new member sees %+v, %v: the cached non-membership survived", got, err)
	}
	e.cache.reads = 0
	if _, err := e.svc.GetProject(ctx, stranger.ID, pid); err != nil || e.cache.hits == 0 {
		t.Fatalf("second read not from cache (hits %d): %v", e.cache.hits, err)
	}
	if err := e.svc.DeleteProject(ctx, owner.ID, pid, []int64{got.Project.Version}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetProject(ctx, owner.ID, pid)
	wantKind(t, err, domain.KindNotFound)
}

// TestStaleCachedRoleNeverAuthorisesAWrite poisons the cache with roles
// MySQL does not hold (as a lost invalidation could leave them): reads may
// believe them, writes must not (issue 11 §4: every write authorises
// against the store, in its own transaction or statement).
func TestStaleCachedRoleNeverAuthorisesAWrite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner, member, stranger, p := e.team(t)
	pid := p.Project.ID
	tk, _, err := e.svc.CreateTask(ctx, member.ID, pid, dp.TaskDraft{Title: "t"}, "")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := e.svc.GetProject(ctx, owner.ID, pid)
	if err != nil {
		t.Fatal(err)
	}
	poison := func() {
		e.cache.PutProject(ctx, 0, cur.Project, map[int64]dp.Role{stranger.ID: dp.RoleOwner, member.ID: dp.RoleOwner})
		e.cache.PutTask(ctx, 0, tk, ports.Access{})
	}
	poison()
	// The poison is served to reads: the cache is really in the way.
	if v, err := e.svc.GetProject(ctx, stranger.ID, pid); err != nil || v.Role != dp.RoleOwner {
		t.Fatalf("poisoned read = %+v, %v; the test needs the cache to answer", v, err)
	}
	name, title := "taken over", "taken over"
	writes := map[string]func(caller int64) error{
		"patch project": func(c int64) error {
			_, err := e.svc.UpdateProject(ctx, c, pid, dp.ProjectChanges{Name: &name}, nil)
			return err
		},
		"add member": func(c int64) error {
			_, _, err := e.svc.AddMember(ctx, c, pid, appprojects.NewMember{Email: "owner@example.com", Role: dp.RoleMember}, "")
			return err
		},
		"set role":       func(c int64) error { _, err := e.svc.SetMemberRole(ctx, c, pid, owner.ID, dp.RoleMember); return err },
		"remove member":  func(c int64) error { return e.svc.RemoveMember(ctx, c, pid, owner.ID) },
		"delete project": func(c int64) error { return e.svc.DeleteProject(ctx, c, pid, nil) },
		"create task": func(c int64) error {
			_, _, err := e.svc.CreateTask(ctx, c, pid, dp.TaskDraft{Title: "t"}, "")
			return err
		},
		"create task with key": func(c int64) error {
			_, _, err := e.svc.CreateTask(ctx, c, pid, dp.TaskDraft{Title: "t"}, fmt.Sprint("k", c))
			return err
		},
		"patch task": func(c int64) error {
			_, err := e.svc.UpdateTask(ctx, c, tk.ID, dp.TaskChanges{Title: &title}, nil)
			return err
		},
		"delete task": func(c int64) error { return e.svc.DeleteTask(ctx, c, tk.ID, nil) },
		"add comment": func(c int64) error { _, _, err := e.svc.AddComment(ctx, c, tk.ID, "hi", ""); return err },
	}
	ownerOnly := map[string]bool{"patch project": true, "add member": true, "set role": true, "remove member": true, "delete project": true}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			poison()
			wantKind(t, write(stranger.ID), domain.KindNotFound)
			if ownerOnly[name] {
				poison()
				wantKind(t, write(member.ID), domain.KindForbidden)
			}
		})
	}
	// Nothing was written by either.
	got, err := e.repos.Tasks.ByID(ctx, tk.ID)
	if err != nil || got.Title != "t" {
		t.Fatalf("task after the refused writes: %+v, %v", got, err)
	}
	roles, _, err := e.repos.Members.Roles(ctx, pid, owner.ID, stranger.ID)
	if err != nil || roles[owner.ID] != dp.RoleOwner || roles[stranger.ID] != dp.RoleNone {
		t.Fatalf("roles after the refused writes: %v, %v", roles, err)
	}
}
