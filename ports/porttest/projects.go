package porttest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectsFixture is what the projects contract suites need from an
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

// ProjectRepositories runs every project-side suite (the repositories share
// tables: a project's deletion cascades to its members, tasks and comments).
// Cases isolate themselves with fresh projects and users, so the storage may
// be shared with other tests.
func ProjectRepositories(t *testing.T, f ProjectsFixture) {
	t.Helper()
	t.Run("projects", func(t *testing.T) { ProjectRepository(t, f) })
	t.Run("members", func(t *testing.T) { MemberRepository(t, f) })
	t.Run("tasks", func(t *testing.T) { TaskRepository(t, f) })
	t.Run("comments", func(t *testing.T) { CommentRepository(t, f) })
	t.Run("idempotency", func(t *testing.T) { IdempotencyRepository(t, f) })
	if f.UoW != nil {
		ProjectsUnitOfWork(t, f)
	}
}

// ProjectRepository checks ports.ProjectRepository: create and read with the
// caller's role, a user's projects paged newest first, Update's rollback when
// its function fails, and Delete cascading to members, tasks and comments.
func ProjectRepository(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	t.Run("project create, read, role", func(t *testing.T) {
		owner, other := f.NewUser(t), f.NewUser(t)
		p := f.newProject(t, owner)
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
			ids = append(ids, f.newProject(t, u).ID)
		}
		f.newProject(t, f.NewUser(t)) // someone else's
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
		p := f.newProject(t, f.NewUser(t))
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

	t.Run("deleting a project deletes members, tasks and comments", func(t *testing.T) {
		owner := f.NewUser(t)
		p := f.newProject(t, owner)
		tk := f.newTask(t, p, dp.TaskDraft{}, base)
		c := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: "x", CreatedAt: base}
		if err := r.Comments.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		assertKind(t, "Delete at another version", r.Projects.Delete(ctx, p.ID, p.Version+1), domain.KindPreconditionFailed)
		if _, err := r.Projects.ByID(ctx, p.ID); err != nil {
			t.Fatalf("a refused Delete removed the project: %v", err)
		}
		if err := r.Projects.Delete(ctx, p.ID, p.Version); err != nil {
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
		assertKind(t, "Delete twice", r.Projects.Delete(ctx, p.ID, 0), domain.KindNotFound)
		assertKind(t, "Delete twice at a version", r.Projects.Delete(ctx, p.ID, p.Version), domain.KindNotFound)
	})
}

// ProjectsUnitOfWork checks that f.UoW rolls back a transaction across two
// repositories (a project and its owner's membership); it needs f.UoW.
func ProjectsUnitOfWork(t *testing.T, f ProjectsFixture) {
	t.Helper()
	if f.UoW == nil {
		t.Skip("the fixture has no unit of work")
	}
	ctx := context.Background()
	r := f.Repos

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

// newProject stores a project owned by owner, with owner as its first member.
func (f ProjectsFixture) newProject(t *testing.T, owner int64) dp.Project {
	t.Helper()
	ctx := context.Background()
	r := f.Repos
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

// newTask stores a task of p created by p's owner at the given time; an
// empty title gets a unique one.
func (f ProjectsFixture) newTask(t *testing.T, p dp.Project, d dp.TaskDraft, at time.Time) dp.Task {
	t.Helper()
	ctx := context.Background()
	r := f.Repos
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

func sameProject(a, b dp.Project) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.OwnerID == b.OwnerID &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version
}
