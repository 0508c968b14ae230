package localcache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/localcache"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

// trustedObjects is a cache trusted for an hour of its fake clock.
func trustedObjects(t *testing.T, size int) (*localcache.Objects, *time.Time) {
	t.Helper()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := localcache.NewObjectsWithClock(size, time.Minute, func() time.Time { return now })
	c.Trust(now.Add(time.Hour))
	return c, &now
}

func project(id, version int64) dp.Project {
	return dp.Project{ID: id, Name: "p", OwnerID: 1, Version: version}
}

func task(id, projectID, version int64) dp.Task {
	return dp.Task{ID: id, ProjectID: projectID, Title: "t", Version: version}
}

func TestObjectsServeWhatWasPutOnlyWhileTrusted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := localcache.NewObjectsWithClock(10, time.Minute, func() time.Time { return now })
	c.PutProject(ctx, c.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleOwner})
	if _, _, ok := c.Project(ctx, 1, 7); ok {
		t.Fatal("an untrusted cache stored or served a copy")
	}
	c.Trust(now.Add(time.Second))
	c.PutProject(ctx, c.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleOwner, 8: dp.RoleNone})
	c.PutTask(ctx, c.Ticket(), task(5, 1, 3), ports.Access{})
	if p, role, ok := c.Project(ctx, 1, 7); !ok || p.Version != 1 || role != dp.RoleOwner {
		t.Fatalf("Project = %+v %q %v", p, role, ok)
	}
	if role, ok := c.Role(ctx, 1, 8); !ok || role != dp.RoleNone {
		t.Fatalf("Role of a known non-member = %q %v", role, ok)
	}
	if _, ok := c.Role(ctx, 1, 9); ok {
		t.Fatal("a role never read was served")
	}
	if tk, role, ok := c.Task(ctx, 5, 7); !ok || tk.Version != 3 || role != dp.RoleOwner {
		t.Fatalf("Task = %+v %q %v", tk, role, ok)
	}
	now = now.Add(2 * time.Second) // past the trust
	if _, _, ok := c.Task(ctx, 5, 7); ok {
		t.Fatal("served past the trusted instant")
	}
	c.Trust(now.Add(time.Second))
	if _, _, ok := c.Task(ctx, 5, 7); !ok {
		t.Fatal("not served once trusted again")
	}
	now = now.Add(time.Minute) // past the TTL
	c.Trust(now.Add(time.Second))
	if _, _, ok := c.Task(ctx, 5, 7); ok {
		t.Fatal("served past its TTL")
	}
	c.PutTask(ctx, c.Ticket(), task(5, 1, 3), ports.Access{ProjectID: 1, ProjectVersion: 1, UserID: 7, Role: dp.RoleMember})
	c.Distrust()
	c.Trust(now.Add(time.Second))
	if _, _, ok := c.Task(ctx, 5, 7); ok {
		t.Fatal("a copy survived Distrust")
	}
}

func TestObjectsInvalidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		inv     ports.Invalidation
		project bool // project 1 still served to user 7
		task    bool // task 5 still served to user 7
	}{
		{"an older version announced", ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: 5, Version: 2}}}, true, true},
		{"the cached version announced (this instance wrote it)", ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: 5, Version: 3}}, Projects: []ports.ObjectVersion{{ID: 1, Version: 2}}}, true, true},
		{"a newer task", ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: 5, Version: 4}}}, true, false},
		{"a deleted task", ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: 5, Version: ports.Deleted}}}, true, false},
		{"a newer project: its roles go, and the task needs one", ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 1, Version: 3}}}, false, false},
		{"a deleted project", ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 1, Version: ports.Deleted}}}, false, false},
		{"other objects", ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 2, Version: 9}}, Tasks: []ports.ObjectVersion{{ID: 6, Version: 9}}}, true, true},
		{"sessions and users only", ports.Invalidation{Sessions: []string{"h"}, Users: []int64{7}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := trustedObjects(t, 10)
			c.PutProject(ctx, c.Ticket(), project(1, 2), map[int64]dp.Role{7: dp.RoleMember})
			c.PutTask(ctx, c.Ticket(), task(5, 1, 3), ports.Access{})
			c.Invalidate(tt.inv)
			if _, _, ok := c.Project(ctx, 1, 7); ok != tt.project {
				t.Errorf("project served: %v, want %v", ok, tt.project)
			}
			if _, _, ok := c.Task(ctx, 5, 7); ok != tt.task {
				t.Errorf("task served: %v, want %v", ok, tt.task)
			}
		})
	}
}

func TestObjectsRefuseFillsOlderThanAnnounced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 10)

	// A reader loads task v3 from MySQL; before it stores it, another
	// instance's write of v4 is announced. v3 must not be stored.
	ticket := c.Ticket()
	c.Invalidate(ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: 5, Version: 4}}})
	c.PutProject(ctx, c.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleMember})
	c.PutTask(ctx, ticket, task(5, 1, 3), ports.Access{})
	if tk, _, ok := c.Task(ctx, 5, 7); ok {
		t.Fatalf("stored v%d after v4 was announced", tk.Version)
	}
	c.PutTask(ctx, ticket, task(5, 1, 4), ports.Access{})
	if tk, _, ok := c.Task(ctx, 5, 7); !ok || tk.Version != 4 {
		t.Fatalf("the announced version itself: %+v %v", tk, ok)
	}
	// An older copy never replaces a newer one, announced or not.
	c.PutTask(ctx, c.Ticket(), task(5, 1, 2), ports.Access{})
	if tk, _, _ := c.Task(ctx, 5, 7); tk.Version != 4 {
		t.Fatalf("v2 replaced v4")
	}

	// Roles read at an older project version than announced are refused,
	// and a deleted project takes no roles at all.
	ticket = c.Ticket()
	c.Invalidate(ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 1, Version: 2}}})
	c.PutAccess(ctx, ticket, ports.Access{ProjectID: 1, ProjectVersion: 1, UserID: 7, Role: dp.RoleOwner})
	if role, ok := c.Role(ctx, 1, 7); ok {
		t.Fatalf("role %q read at v1 stored after v2 was announced", role)
	}
	c.DropProject(ctx, 1)
	c.PutAccess(ctx, c.Ticket(), ports.Access{ProjectID: 1, ProjectVersion: 3, UserID: 7, Role: dp.RoleOwner})
	if _, ok := c.Role(ctx, 1, 7); ok {
		t.Fatal("a role of a deleted project was stored")
	}
}

func TestObjectsRefuseFillsUnderWayAtAReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 10)
	ticket := c.Ticket()
	c.Reset() // announcements may have been missed: nothing read before is sure
	c.PutProject(ctx, ticket, project(1, 1), map[int64]dp.Role{7: dp.RoleMember})
	if _, _, ok := c.Project(ctx, 1, 7); ok {
		t.Fatal("a fill read before a reset was stored")
	}
	c.PutProject(ctx, c.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleMember})
	if _, _, ok := c.Project(ctx, 1, 7); !ok {
		t.Fatal("a fill read after the reset was refused")
	}
}

func TestObjectsForgettingAnAnnouncementRefusesFillsUnderWay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 1) // remembers two announcements
	ticket := c.Ticket()
	for id := int64(10); id < 13; id++ { // the third forgets the first
		c.Invalidate(ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: id, Version: 2}}})
	}
	c.PutProject(ctx, c.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleMember})
	c.PutTask(ctx, ticket, task(10, 1, 1), ports.Access{})
	if tk, _, ok := c.Task(ctx, 10, 7); ok {
		t.Fatalf("stored v%d of a task whose announcement of v2 was forgotten", tk.Version)
	}
}

func TestObjectsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 3)
	for id := int64(1); id <= 10; id++ {
		c.PutTask(ctx, c.Ticket(), task(id, 1, 1), ports.Access{})
		c.PutProject(ctx, c.Ticket(), project(id, 1), map[int64]dp.Role{7: dp.RoleMember})
	}
	if p, tk := c.Len(); p != 3 || tk != 3 {
		t.Fatalf("holds %d projects and %d tasks, bound 3", p, tk)
	}
	if _, _, ok := c.Project(ctx, 10, 7); !ok {
		t.Fatal("the most recent project was evicted")
	}
}

func TestGateKeepsSessionsAndObjectsTrueTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sessions := localcache.NewSessionsWithClock(10, time.Minute, clock)
	objects := localcache.NewObjectsWithClock(10, time.Minute, clock)
	g := localcache.NewGate(localcache.Sinks{sessions, objects}, 2)
	g.Feed(0).Trust(now.Add(time.Second))
	g.Feed(1).Trust(now.Add(time.Second))
	objects.PutProject(ctx, objects.Ticket(), project(1, 1), map[int64]dp.Role{7: dp.RoleMember})
	if !sessions.Trusted() || !objects.Trusted() {
		t.Fatal("not trusted with both feeds vouching")
	}
	g.Feed(1).Invalidate(ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 1, Version: 2}}})
	if _, _, ok := objects.Project(ctx, 1, 7); ok {
		t.Fatal("an invalidation through the gate did not reach the object cache")
	}
	objects.PutProject(ctx, objects.Ticket(), project(1, 2), map[int64]dp.Role{7: dp.RoleMember})
	g.Feed(0).Distrust() // the subscription was cut
	if objects.Trusted() || sessions.Trusted() {
		t.Fatal("still trusted while a feed is down")
	}
	g.Feed(0).Trust(now.Add(time.Second))
	if _, _, ok := objects.Project(ctx, 1, 7); ok {
		t.Fatal("a copy from before the cut was served after it healed")
	}
}

func TestObjectsKeepNoLargeObjectsButTheirRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 10)
	big := project(1, 1)
	big.Description = strings.Repeat("d", 3000)
	c.PutProject(ctx, c.Ticket(), big, map[int64]dp.Role{7: dp.RoleMember})
	if _, _, ok := c.Project(ctx, 1, 7); ok {
		t.Fatal("a project with 3 KB of text was kept")
	}
	if role, ok := c.Role(ctx, 1, 7); !ok || role != dp.RoleMember {
		t.Fatalf("its role = %q %v; roles are small and stay", role, ok)
	}
	tk := task(5, 1, 1)
	tk.Description = strings.Repeat("d", 3000)
	c.PutTask(ctx, c.Ticket(), tk, ports.Access{})
	if _, _, ok := c.Task(ctx, 5, 7); ok {
		t.Fatal("a task with 3 KB of text was kept")
	}
}

func TestObjectsServeRolesOnlyAtTheirProjectVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := trustedObjects(t, 10)
	c.PutAccess(ctx, c.Ticket(), ports.Access{ProjectID: 1, ProjectVersion: 1, UserID: 7, Role: dp.RoleOwner})
	// A newer version read by someone else: 7's role at version 1 is no
	// longer known to hold.
	c.PutAccess(ctx, c.Ticket(), ports.Access{ProjectID: 1, ProjectVersion: 2, UserID: 8, Role: dp.RoleMember})
	if role, ok := c.Role(ctx, 1, 7); ok {
		t.Fatalf("a role read at version 1 served at version 2: %q", role)
	}
	if role, ok := c.Role(ctx, 1, 8); !ok || role != dp.RoleMember {
		t.Fatalf("role at the current version = %q %v", role, ok)
	}
}

func TestObjectsContract(t *testing.T) {
	t.Parallel()
	porttest.ProjectCache(t, func(t *testing.T) ports.ProjectCache {
		c := localcache.NewObjects(100, time.Minute)
		c.Trust(localcache.Forever)
		return c
	})
}
