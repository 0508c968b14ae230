package localcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// Objects is an instance's in-memory copy of projects, tasks and members'
// roles (a ports.ProjectCache), so that a warm read costs no round trip at
// all: no Redis command, no MySQL statement. It is bounded (an LRU of at
// most size projects and size tasks, each kept at most ttl) and kept true
// by the invalidation feeds that already revoke sessions: every write
// announces the project or task version it produced (ports.Invalidation),
// and Invalidate drops every copy older than that.
//
// # Trust
//
// Like Sessions, the cache serves copies only while the feeds vouch for it
// (Trust, behind a Gate of both feeds): while a feed is down or was
// interrupted every Get is a miss and every Put is ignored, and Distrust
// and Reset drop everything, so an announcement missed during a cut can
// never leave a stale copy behind.
//
// # Races
//
// A reader that loaded version 4 from MySQL just before another instance
// committed version 5 must not put 4 back after 5 was announced. So the
// cache remembers the highest version announced for each object (bounded
// like the copies), and Put refuses a copy older than it. Should that memory
// have to forget an object to make room, or should everything be reset,
// every fill whose Ticket was taken before then is refused instead: a
// burst costs refills, never correctness.
//
// Roles are valid for one project version: every membership change writes
// a new project version, whose announcement drops the project's entry, and
// a role is served only while its project's entry holds the version it was
// read at.
//
// # Memory
//
// At most size projects, size tasks and 4×size roles, each entry of a
// bounded size: an object whose text (name or title, and description) is
// longer than maxCachedText is not kept (it is read from MySQL each time),
// so the default 10,000 holds at most about 50 MB and typically a few MB.
type Objects struct {
	ttl time.Duration
	now func() time.Time

	gen          atomic.Uint64
	trustedUntil atomic.Int64 // Unix nanoseconds; 0: not trusted

	mu        sync.Mutex
	floor     uint64 // fills with an older ticket are refused
	projects  *lru[int64, projectEntry]
	tasks     *lru[int64, dp.Task]
	roles     *lru[roleKey, roleEntry]
	announced *lru[objectKey, int64] // highest version announced per object
}

var _ ports.ProjectCache = (*Objects)(nil)

// projectEntry is one project at one version, and the project itself when
// a read of it was stored (not only a role).
type projectEntry struct {
	version    int64
	project    dp.Project
	hasProject bool
}

// roleKey is a user in a project.
type roleKey struct{ project, user int64 }

// roleEntry is a user's role (RoleNone: known not to be a member) as of a
// project version.
type roleEntry struct {
	version int64
	role    dp.Role
}

type objectKey struct {
	task bool
	id   int64
}

// maxCachedText bounds the text (bytes of name or title and description)
// of a kept object, so that the entry count bounds the memory.
const maxCachedText = 2048

// never is an expiry that never comes: announced versions leave only when
// room is needed.
const never int64 = 1<<63 - 1

// NewObjects returns an empty, untrusted cache of at most size projects and
// size tasks, each kept at most ttl. size or ttl of zero or less disables
// it: every Get misses.
func NewObjects(size int, ttl time.Duration) *Objects {
	return NewObjectsWithClock(size, ttl, time.Now)
}

// NewObjectsWithClock is NewObjects reading the time from now, for tests.
func NewObjectsWithClock(size int, ttl time.Duration, now func() time.Time) *Objects {
	if ttl <= 0 || size < 0 {
		size = 0
	}
	return &Objects{ttl: ttl, now: now,
		projects: newLRU[int64, projectEntry](size), tasks: newLRU[int64, dp.Task](size),
		roles: newLRU[roleKey, roleEntry](4 * size),
		// Twice the copies: the objects written recently are mostly the
		// ones read recently, and an announcement of an object not cached
		// must still be remembered while a fill of it may be under way.
		announced: newLRU[objectKey, int64](2 * size)}
}

// trusted reports whether copies may be served and stored at now.
func (c *Objects) trusted(now int64) bool { return now < c.trustedUntil.Load() }

// Project returns the cached project and userID's role in it.
func (c *Objects) Project(_ context.Context, projectID, userID int64) (dp.Project, dp.Role, bool) {
	now := c.now().UnixNano()
	if !c.trusted(now) {
		return dp.Project{}, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.projects.get(projectID, now)
	if !ok || !e.hasProject {
		return dp.Project{}, "", false
	}
	role, ok := c.role(e, projectID, userID, now)
	if !ok {
		return dp.Project{}, "", false
	}
	return e.project, role, true
}

// role returns userID's role in the project whose entry is e, when it was
// read at e's version. The caller holds mu.
func (c *Objects) role(e projectEntry, projectID, userID, now int64) (dp.Role, bool) {
	r, ok := c.roles.get(roleKey{projectID, userID}, now)
	if !ok || r.version != e.version {
		return "", false
	}
	return r.role, true
}

// Role returns userID's cached role in the project.
func (c *Objects) Role(_ context.Context, projectID, userID int64) (dp.Role, bool) {
	now := c.now().UnixNano()
	if !c.trusted(now) {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.projects.get(projectID, now)
	if !ok {
		return "", false
	}
	return c.role(e, projectID, userID, now)
}

// Task returns the cached task and userID's role in its project.
func (c *Objects) Task(_ context.Context, taskID, userID int64) (dp.Task, dp.Role, bool) {
	now := c.now().UnixNano()
	if !c.trusted(now) {
		return dp.Task{}, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks.get(taskID, now)
	if !ok {
		return dp.Task{}, "", false
	}
	e, ok := c.projects.get(t.ProjectID, now)
	if !ok {
		return dp.Task{}, "", false
	}
	role, ok := c.role(e, t.ProjectID, userID, now)
	if !ok {
		return dp.Task{}, "", false
	}
	return t, role, true
}

// Ticket returns the current generation, to be taken before reading what
// will be put; see Put*.
func (c *Objects) Ticket() uint64 { return c.gen.Load() }

// PutProject stores p with the given roles at p's version, unless a newer
// version is cached or was announced, or ticket is too old.
func (c *Objects) PutProject(_ context.Context, ticket uint64, p dp.Project, roles map[int64]dp.Role) {
	now := c.now().UnixNano()
	if !c.trusted(now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.projectAt(ticket, p.ID, p.Version, now)
	if !ok {
		return
	}
	if len(p.Name)+len(p.Description) <= maxCachedText {
		e.project, e.hasProject = p, true
	}
	exp := now + int64(c.ttl)
	c.projects.put(p.ID, e, exp)
	for uid, r := range roles {
		c.roles.put(roleKey{p.ID, uid}, roleEntry{version: p.Version, role: r}, exp)
	}
}

// PutAccess stores one user's role at a project version.
func (c *Objects) PutAccess(_ context.Context, ticket uint64, a ports.Access) {
	now := c.now().UnixNano()
	if !c.trusted(now) || a.ProjectVersion == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putAccess(ticket, a, now)
}

// PutTask stores t, and a's role when a.ProjectVersion is not 0.
func (c *Objects) PutTask(_ context.Context, ticket uint64, t dp.Task, a ports.Access) {
	now := c.now().UnixNano()
	if !c.trusted(now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(t.Title)+len(t.Description) <= maxCachedText && c.fresh(ticket, objectKey{task: true, id: t.ID}, t.Version) {
		if cur, ok := c.tasks.get(t.ID, now); !ok || cur.Version <= t.Version {
			c.tasks.put(t.ID, t, now+int64(c.ttl))
		}
	}
	if a.ProjectVersion != 0 && a.ProjectID == t.ProjectID {
		c.putAccess(ticket, a, now)
	}
}

// DropProject forgets the project, and so every role in it (its tasks
// cannot be read without one).
func (c *Objects) DropProject(_ context.Context, projectID int64) {
	c.Invalidate(ports.Invalidation{Projects: []ports.ObjectVersion{{ID: projectID, Version: ports.Deleted}}})
}

// DropTask forgets the task.
func (c *Objects) DropTask(_ context.Context, _, taskID int64) {
	c.Invalidate(ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: taskID, Version: ports.Deleted}}})
}

// putAccess stores one role; the caller holds mu.
func (c *Objects) putAccess(ticket uint64, a ports.Access, now int64) {
	e, ok := c.projectAt(ticket, a.ProjectID, a.ProjectVersion, now)
	if !ok {
		return
	}
	exp := now + int64(c.ttl)
	c.projects.put(a.ProjectID, e, exp)
	c.roles.put(roleKey{a.ProjectID, a.UserID}, roleEntry{version: a.ProjectVersion, role: a.Role}, exp)
}

// projectAt returns the entry to write at version: the cached one when it
// is at that version, a new one when the cached one is older or absent;
// false when a newer version is cached or announced or ticket is too old.
// The caller holds mu.
func (c *Objects) projectAt(ticket uint64, id, version int64, now int64) (projectEntry, bool) {
	if !c.fresh(ticket, objectKey{id: id}, version) {
		return projectEntry{}, false
	}
	e, ok := c.projects.get(id, now)
	switch {
	case ok && e.version > version:
		return projectEntry{}, false
	case ok && e.version == version:
		return e, true
	}
	return projectEntry{version: version}, true
}

// fresh reports whether a copy of k at version, read after ticket was
// taken, may be stored. The caller holds mu.
func (c *Objects) fresh(ticket uint64, k objectKey, version int64) bool {
	if ticket < c.floor {
		return false
	}
	if v, ok := c.announced.get(k, 0); ok && v > version {
		return false
	}
	return true
}

// Invalidate drops the copies of the projects and tasks inv names that are
// older than the versions it announces, and remembers those versions so a
// racing fill cannot put an older copy back. Sessions and users are the
// session cache's business.
func (c *Objects) Invalidate(inv ports.Invalidation) {
	if len(inv.Projects)+len(inv.Tasks) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	for _, o := range inv.Projects {
		c.announce(objectKey{id: o.ID}, o.Version)
		if e, ok := c.projects.get(o.ID, 0); ok && e.version < o.Version {
			c.projects.del(o.ID)
		}
	}
	for _, o := range inv.Tasks {
		c.announce(objectKey{task: true, id: o.ID}, o.Version)
		if t, ok := c.tasks.get(o.ID, 0); ok && t.Version < o.Version {
			c.tasks.del(o.ID)
		}
	}
}

// announce remembers version as k's newest; the caller holds mu.
func (c *Objects) announce(k objectKey, version int64) {
	if v, ok := c.announced.get(k, 0); ok {
		if v < version {
			c.announced.put(k, version, never)
		}
		return
	}
	if c.announced.len() >= c.announced.cap {
		// Room is made by forgetting an announcement; a fill racing it
		// could then go unnoticed, so refuse every fill under way.
		c.floor = c.gen.Load()
	}
	c.announced.put(k, version, never)
}

// Reset drops every copy and refuses every fill under way, for when
// announcements may have been missed.
func (c *Objects) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.floor = c.gen.Add(1)
	c.projects.clear()
	c.tasks.clear()
	c.roles.clear()
	c.announced.clear()
}

// Trust lets the cache serve and store copies until the instant until.
func (c *Objects) Trust(until time.Time) { c.trustedUntil.Store(until.UnixNano()) }

// Distrust stops serving and storing, and drops every copy.
func (c *Objects) Distrust() {
	c.trustedUntil.Store(0)
	c.Reset()
}

// Trusted reports whether the cache currently serves copies.
func (c *Objects) Trusted() bool { return c.trusted(c.now().UnixNano()) }

// Len returns how many projects and tasks are held, for tests and metrics.
func (c *Objects) Len() (projects, tasks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.projects.len(), c.tasks.len()
}
