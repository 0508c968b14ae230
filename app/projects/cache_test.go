package projects_test

import (
	"context"
	"sync"
	"testing"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

// mapCache is a versioned in-process ports.ProjectCache with the semantics
// the Redis adapter promises: an older version never replaces a newer one,
// and a new project version drops the roles known at the old one.
type mapCache struct {
	mu          sync.Mutex
	projects    map[int64]*projectEntry
	tasks       map[int64]dp.Task
	gone        map[int64]bool
	reads, hits int
}

type projectEntry struct {
	p     *dp.Project
	ver   int64
	roles map[int64]dp.Role
}

func newMapCache() *mapCache {
	return &mapCache{projects: map[int64]*projectEntry{}, tasks: map[int64]dp.Task{}, gone: map[int64]bool{}}
}

func (c *mapCache) entry(id, ver int64) *projectEntry {
	e := c.projects[id]
	if e == nil || e.ver < ver {
		e = &projectEntry{ver: ver, roles: map[int64]dp.Role{}}
		c.projects[id] = e
	}
	if e.ver > ver {
		return nil
	}
	return e
}

func (c *mapCache) Project(_ context.Context, id, user int64) (dp.Project, dp.Role, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	e := c.projects[id]
	if e == nil || e.p == nil || c.gone[id] {
		return dp.Project{}, "", false
	}
	r, ok := e.roles[user]
	if ok {
		c.hits++
	}
	return *e.p, r, ok
}

func (c *mapCache) Role(_ context.Context, id, user int64) (dp.Role, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.projects[id]
	if e == nil || c.gone[id] {
		return "", false
	}
	r, ok := e.roles[user]
	return r, ok
}

func (c *mapCache) Task(_ context.Context, id, user int64) (dp.Task, dp.Role, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[id]
	if !ok || c.gone[t.ProjectID] {
		return dp.Task{}, "", false
	}
	e := c.projects[t.ProjectID]
	if e == nil {
		return dp.Task{}, "", false
	}
	r, ok := e.roles[user]
	return t, r, ok
}

func (c *mapCache) Ticket() uint64 { return 0 }

func (c *mapCache) PutProject(_ context.Context, _ uint64, p dp.Project, roles map[int64]dp.Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entry(p.ID, p.Version); e != nil {
		e.p = &p
		for u, r := range roles {
			e.roles[u] = r
		}
	}
}

func (c *mapCache) PutAccess(_ context.Context, _ uint64, a ports.Access) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entry(a.ProjectID, a.ProjectVersion); e != nil {
		e.roles[a.UserID] = a.Role
	}
}

func (c *mapCache) PutTask(ctx context.Context, ticket uint64, t dp.Task, a ports.Access) {
	c.mu.Lock()
	if old, ok := c.tasks[t.ID]; !ok || old.Version <= t.Version {
		c.tasks[t.ID] = t
	}
	c.mu.Unlock()
	if a.ProjectVersion != 0 {
		c.PutAccess(ctx, ticket, a)
	}
}

func (c *mapCache) DropProject(_ context.Context, id int64) {
	c.mu.Lock()
	c.gone[id] = true
	c.mu.Unlock()
}

func (c *mapCache) DropTask(_ context.Context, _, id int64) {
	c.mu.Lock()
	delete(c.tasks, id)
	c.mu.Unlock()
}

// The double keeps the port's promises too, or the tests above prove
// nothing about the real cache.
func TestMapCacheContract(t *testing.T) {
	porttest.ProjectCache(t, func(*testing.T) ports.ProjectCache { return newMapCache() })
}
