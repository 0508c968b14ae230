package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

var at = time.Date(2030, 5, 6, 7, 8, 9, 123000, time.UTC)

func project(id, version int64, name string) dp.Project {
	return dp.Project{ID: id, Name: name, Description: "d", OwnerID: 7, CreatedAt: at, UpdatedAt: at, Version: version}
}

func task(id, projectID, version int64, title string) dp.Task {
	a := int64(7)
	due := dp.Date{Year: 2030, Month: 2, Day: 28}
	return dp.Task{ID: id, ProjectID: projectID, Title: title, Status: dp.StatusDone, Priority: dp.PriorityUrgent,
		AssigneeID: &a, DueDate: &due, CreatedBy: 7, CreatedAt: at, UpdatedAt: at, CompletedAt: &at, Version: version}
}

func TestObjectCacheProjects(t *testing.T) {
	t.Parallel()
	c, keys := redistest.New(t)
	oc := redisstore.NewObjectCache(c, keys, time.Minute, nil)
	ctx := context.Background()

	if _, _, ok := oc.Project(ctx, 1, 7); ok {
		t.Fatal("hit on an empty cache")
	}
	oc.PutProject(ctx, project(1, 2, "v2"), map[int64]dp.Role{7: dp.RoleOwner, 8: dp.RoleNone})
	steps := []struct {
		name     string
		put      func()
		user     int64
		wantOK   bool
		wantName string
		wantRole dp.Role
	}{
		{"owner hits", nil, 7, true, "v2", dp.RoleOwner},
		{"known non-member hits with no role", nil, 8, true, "v2", dp.RoleNone},
		{"unknown user misses", nil, 9, false, "", ""},
		{"older version is refused", func() { oc.PutProject(ctx, project(1, 1, "v1"), map[int64]dp.Role{9: dp.RoleMember}) }, 9, false, "", ""},
		{"same version adds a role", func() {
			oc.PutAccess(ctx, ports.Access{ProjectID: 1, ProjectVersion: 2, UserID: 9, Role: dp.RoleMember})
		}, 9, true, "v2", dp.RoleMember},
		{"newer version drops old roles", func() { oc.PutProject(ctx, project(1, 3, "v3"), map[int64]dp.Role{8: dp.RoleMember}) }, 9, false, "", ""},
		{"newer version serves its roles", nil, 8, true, "v3", dp.RoleMember},
		{"tombstone hides the project", func() { oc.DropProject(ctx, 1) }, 8, false, "", ""},
		{"tombstone refuses refills", func() { oc.PutProject(ctx, project(1, 4, "v4"), map[int64]dp.Role{8: dp.RoleMember}) }, 8, false, "", ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.put != nil {
				s.put()
			}
			p, role, ok := oc.Project(ctx, 1, s.user)
			if ok != s.wantOK || (ok && (p.Name != s.wantName || role != s.wantRole)) {
				t.Fatalf("Project = %q %q %v, want %q %q %v", p.Name, role, ok, s.wantName, s.wantRole, s.wantOK)
			}
			if r, ok := oc.Role(ctx, 1, s.user); ok != s.wantOK || r != s.wantRole {
				t.Fatalf("Role = %q %v, want %q %v", r, ok, s.wantRole, s.wantOK)
			}
		})
	}
	oc.PutProject(ctx, project(2, 1, "x"), map[int64]dp.Role{7: dp.RoleOwner})
	got, _, _ := oc.Project(ctx, 2, 7)
	if want := project(2, 1, "x"); got != want {
		t.Fatalf("round trip = %+v, want %+v", got, want)
	}
}

func TestObjectCacheTasks(t *testing.T) {
	t.Parallel()
	c, keys := redistest.New(t)
	oc := redisstore.NewObjectCache(c, keys, time.Minute, nil)
	ctx := context.Background()
	acc := ports.Access{ProjectID: 10, ProjectVersion: 1, UserID: 7, Role: dp.RoleMember}

	oc.PutTask(ctx, task(100, 10, 1, "first"), ports.Access{})
	if _, _, ok := oc.Task(ctx, 100, 7); ok {
		t.Fatal("hit without a known role")
	}
	oc.PutTask(ctx, task(100, 10, 1, "first"), acc)
	got, role, ok := oc.Task(ctx, 100, 7)
	want := task(100, 10, 1, "first")
	if !ok || role != dp.RoleMember || got.Title != "first" || *got.AssigneeID != 7 || *got.DueDate != *want.DueDate ||
		!got.CompletedAt.Equal(at) || got.Priority != dp.PriorityUrgent || got.Version != 1 {
		t.Fatalf("Task = %+v %q %v", got, role, ok)
	}
	oc.PutTask(ctx, task(100, 10, 3, "third"), ports.Access{})
	oc.PutTask(ctx, task(100, 10, 2, "stale"), ports.Access{}) // a slow reader's refill
	if got, _, _ := oc.Task(ctx, 100, 7); got.Title != "third" {
		t.Fatalf("after a stale refill: %q, want third", got.Title)
	}
	oc.DropTask(ctx, 10, 100)
	if _, _, ok := oc.Task(ctx, 100, 7); ok {
		t.Fatal("deleted task served")
	}
	oc.PutTask(ctx, task(101, 10, 1, "other"), acc)
	oc.DropProject(ctx, 10)
	if _, _, ok := oc.Task(ctx, 101, 7); ok {
		t.Fatal("task of a deleted project served")
	}
	// Every key has a TTL, and a project's keys share one cluster hash tag.
	var all []string
	iter := c.Scan(ctx, 0, keys.Prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		all = append(all, iter.Val())
	}
	if len(all) == 0 {
		t.Fatal("no keys written")
	}
	for _, k := range all {
		if ttl := c.TTL(ctx, k).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("key %s has TTL %v", k, ttl)
		}
		if !strings.HasSuffix(k, ":{p10}") {
			t.Errorf("key %s is not tagged with its project", k)
		}
	}
}

func TestObjectCacheRedisDown(t *testing.T) {
	t.Parallel()
	c, keys := redistest.NewDown(t)
	oc := redisstore.NewObjectCache(c, keys, time.Minute, nil)
	ctx := context.Background()
	oc.PutProject(ctx, project(1, 1, "p"), map[int64]dp.Role{7: dp.RoleOwner})
	oc.PutTask(ctx, task(2, 1, 1, "t"), ports.Access{ProjectID: 1, ProjectVersion: 1, UserID: 7, Role: dp.RoleOwner})
	oc.DropTask(ctx, 1, 2)
	oc.DropProject(ctx, 1)
	if _, _, ok := oc.Project(ctx, 1, 7); ok {
		t.Fatal("hit from a Redis that is down")
	}
	if _, ok := oc.Role(ctx, 1, 7); ok {
		t.Fatal("role hit from a Redis that is down")
	}
	if _, _, ok := oc.Task(ctx, 2, 7); ok {
		t.Fatal("task hit from a Redis that is down")
	}
}
