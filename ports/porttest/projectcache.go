package porttest

import (
	"context"
	"testing"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectCache checks an implementation of ports.ProjectCache that is ready
// to serve (an instance cache already trusted by its feeds). newCache is
// called once per case: each starts empty.
func ProjectCache(t *testing.T, newCache func(t *testing.T) ports.ProjectCache) {
	t.Helper()
	ctx := context.Background()
	project := func(version int64, name string) dp.Project {
		return dp.Project{ID: 1, Name: name, OwnerID: 7, Version: version}
	}
	task := func(version int64, title string) dp.Task {
		return dp.Task{ID: 5, ProjectID: 1, Title: title, Status: dp.StatusTodo, Priority: dp.PriorityNormal, CreatedBy: 7, Version: version}
	}
	access := func(version int64, user int64, role dp.Role) ports.Access {
		return ports.Access{ProjectID: 1, ProjectVersion: version, UserID: user, Role: role}
	}

	t.Run("what was put is served, with the caller's role; nothing else is", func(t *testing.T) {
		c := newCache(t)
		c.PutProject(ctx, c.Ticket(), project(1, "p"), map[int64]dp.Role{7: dp.RoleOwner, 8: dp.RoleNone})
		c.PutTask(ctx, c.Ticket(), task(3, "t"), access(1, 9, dp.RoleMember))
		if p, role, ok := c.Project(ctx, 1, 7); !ok || p.Name != "p" || role != dp.RoleOwner {
			t.Fatalf("Project = %+v %q %v", p, role, ok)
		}
		if role, ok := c.Role(ctx, 1, 8); !ok || role != dp.RoleNone {
			t.Fatalf("a known non-member's Role = %q %v", role, ok)
		}
		if tk, role, ok := c.Task(ctx, 5, 9); !ok || tk.Title != "t" || role != dp.RoleMember {
			t.Fatalf("Task = %+v %q %v", tk, role, ok)
		}
		if _, ok := c.Role(ctx, 1, 10); ok {
			t.Fatal("a role never put was served")
		}
		if _, _, ok := c.Task(ctx, 6, 7); ok {
			t.Fatal("a task never put was served")
		}
	})

	t.Run("an older version never replaces a newer one", func(t *testing.T) {
		c := newCache(t)
		c.PutProject(ctx, c.Ticket(), project(2, "new"), map[int64]dp.Role{7: dp.RoleOwner})
		c.PutProject(ctx, c.Ticket(), project(1, "old"), map[int64]dp.Role{7: dp.RoleMember})
		if p, role, _ := c.Project(ctx, 1, 7); p.Name != "new" || role != dp.RoleOwner {
			t.Fatalf("after an older put: %q %q", p.Name, role)
		}
		c.PutTask(ctx, c.Ticket(), task(4, "new"), ports.Access{})
		c.PutTask(ctx, c.Ticket(), task(3, "old"), ports.Access{})
		if tk, _, _ := c.Task(ctx, 5, 7); tk.Title != "new" {
			t.Fatalf("after an older put the task is %q", tk.Title)
		}
	})

	t.Run("a newer project version drops the roles known at the older one", func(t *testing.T) {
		c := newCache(t)
		c.PutProject(ctx, c.Ticket(), project(1, "p"), map[int64]dp.Role{7: dp.RoleOwner, 8: dp.RoleMember})
		c.PutAccess(ctx, c.Ticket(), access(2, 7, dp.RoleOwner))
		if role, ok := c.Role(ctx, 1, 8); ok {
			t.Fatalf("a role read at version 1 served after version 2: %q", role)
		}
		if role, ok := c.Role(ctx, 1, 7); !ok || role != dp.RoleOwner {
			t.Fatalf("the role at version 2 = %q %v", role, ok)
		}
	})

	t.Run("dropped objects are misses", func(t *testing.T) {
		c := newCache(t)
		c.PutProject(ctx, c.Ticket(), project(1, "p"), map[int64]dp.Role{7: dp.RoleOwner})
		c.PutTask(ctx, c.Ticket(), task(3, "t"), ports.Access{})
		c.DropTask(ctx, 1, 5)
		if _, _, ok := c.Task(ctx, 5, 7); ok {
			t.Fatal("a dropped task was served")
		}
		c.PutTask(ctx, c.Ticket(), task(3, "t"), ports.Access{})
		c.DropProject(ctx, 1)
		if _, _, ok := c.Project(ctx, 1, 7); ok {
			t.Fatal("a dropped project was served")
		}
		if _, _, ok := c.Task(ctx, 5, 7); ok {
			t.Fatal("a task of a dropped project was served")
		}
	})
}
