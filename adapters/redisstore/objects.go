package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ObjectCache is the projects module's cache-aside copy of projects, tasks
// and members' roles (ports.ProjectCache).
//
// # Layout: one hash per object, tagged by project
//
//	onit:proj:{p<id>}            hash  v: version, o: project JSON, m:<user>: role ("-": not a member)
//	onit:task:<id>:{p<project>}  hash  v: version, o: task JSON
//
// A project's hash and its tasks' hashes share the hash tag {p<id>}, so
// one script may read a task and the caller's role together on a cluster.
// Roles live in the project's hash and are valid for its version: every
// membership change increments the project's version, and writing a newer
// version drops the older hash wholesale, roles included.
//
// # Stale writes
//
// Every write goes through one Lua script that compares versions: an
// older version never replaces a newer one, and a deleted object's hash
// becomes a tombstone (version 2^53) that refuses refills until it expires.
// So a reader that loaded version 4 from MySQL before a writer committed
// version 5 cannot put 4 back after the writer's refresh: read-your-writes
// holds across instances. Writers refresh (write the new version) rather
// than delete, which keeps the next read off MySQL at the same cost of one
// command.
//
// # Cost
//
// Every method is one Redis command (HMGET, HGET, EVALSHA): GET project
// and role checks are one HMGET/HGET, GET task one EVALSHA reading the task
// and the role together. To find a task's project (and so its slot)
// without asking Redis, the cache remembers task → project in process:
// tasks never move between projects, so the memo cannot go stale; it is
// bounded and filled by every task read or write. Every key has a TTL.
//
// # Outages
//
// Redis errors never reach the caller: reads report a miss, writes are
// skipped, and the failure is logged (at most once per logEvery). A skipped
// write is remembered and replayed once Redis answers, and its keys read
// as misses until then, so a copy Redis kept through the outage is never
// served stale (objects_pending.go).
type ObjectCache struct {
	c   redis.UniversalClient
	k   Keys
	ttl time.Duration
	log *slog.Logger

	mu          sync.Mutex
	taskProject map[int64]int64

	lastLog atomic.Int64 // unix nanos of the last outage log line

	pending       pendingFills // writes that failed, to replay (objects_pending.go)
	distrustUntil atomic.Int64 // unix nanos until which reads are misses
}

var _ ports.ProjectCache = (*ObjectCache)(nil)

const (
	// tombstoneVersion is above any real version and still exact in Lua's doubles.
	tombstoneVersion = int64(1) << 53
	// maxTaskMemo bounds the task → project memo (about 3 MB of map at most).
	maxTaskMemo = 100_000
	logEvery    = 10 * time.Second
	noRole      = "-"
	// objectFormat prefixes every stored JSON value; a value of another
	// format (written by another release during a deploy) reads as a miss.
	objectFormat = "1"
)

// NewObjectCache returns a cache on c under k's keys whose entries live ttl.
func NewObjectCache(c redis.UniversalClient, k Keys, ttl time.Duration, log *slog.Logger) *ObjectCache {
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	return &ObjectCache{c: c, k: k, ttl: ttl, log: log, taskProject: map[int64]int64{}}
}

func (o *ObjectCache) projectKey(id int64) string {
	return o.k.Tagged("proj", "p"+strconv.FormatInt(id, 10))
}

func (o *ObjectCache) taskKey(projectID, taskID int64) string {
	return o.k.Tagged("task:"+strconv.FormatInt(taskID, 10), "p"+strconv.FormatInt(projectID, 10))
}

func roleField(userID int64) string { return "m:" + strconv.FormatInt(userID, 10) }

// fillScript writes objects in one slot, each only when its version is not
// older than the cached one; a newer version first drops the old hash.
// ARGV: ttl seconds, then per key: version, n, n field/value pairs.
var fillScript = redis.NewScript(`
local ttl = tonumber(ARGV[1])
local a = 2
for i = 1, #KEYS do
  local key = KEYS[i]
  local ver = tonumber(ARGV[a])
  local n = tonumber(ARGV[a+1])
  local cur = tonumber(redis.call('HGET', key, 'v') or '-1')
  if cur <= ver then
    if cur < ver then redis.call('DEL', key) end
    redis.call('HSET', key, 'v', ARGV[a])
    for j = 1, n do
      redis.call('HSET', key, ARGV[a+2*j], ARGV[a+2*j+1])
    end
    redis.call('EXPIRE', key, ttl)
  end
  a = a + 2 + 2*n
end
return 0
`)

// taskScript reads a task and one role from its project in one command.
var taskScript = redis.NewScript(`
return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('HGET', KEYS[2], 'o')}
`)

// Project returns the cached project and the user's role.
func (o *ObjectCache) Project(ctx context.Context, projectID, userID int64) (dp.Project, dp.Role, bool) {
	if !o.usable(ctx, o.projectKey(projectID)) {
		return dp.Project{}, "", false
	}
	vals, err := o.c.HMGet(ctx, o.projectKey(projectID), "o", roleField(userID)).Result()
	if err != nil {
		o.fail(ctx, "get project", err)
		return dp.Project{}, "", false
	}
	obj, role := objStr(vals[0]), objStr(vals[1])
	if obj == "" || role == "" {
		return dp.Project{}, "", false
	}
	var c cachedProject
	if !objDecode(obj, &c) {
		return dp.Project{}, "", false
	}
	return c.toDomain(), objParseRole(role), true
}

// Role returns the user's cached role in the project.
func (o *ObjectCache) Role(ctx context.Context, projectID, userID int64) (dp.Role, bool) {
	if !o.usable(ctx, o.projectKey(projectID)) {
		return "", false
	}
	v, err := o.c.HGet(ctx, o.projectKey(projectID), roleField(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false
	}
	if err != nil {
		o.fail(ctx, "get role", err)
		return "", false
	}
	return objParseRole(v), true
}

// Task returns the cached task and the user's role in its project.
func (o *ObjectCache) Task(ctx context.Context, taskID, userID int64) (dp.Task, dp.Role, bool) {
	o.mu.Lock()
	pid, ok := o.taskProject[taskID]
	o.mu.Unlock()
	if !ok || !o.usable(ctx, o.projectKey(pid), o.taskKey(pid, taskID)) {
		return dp.Task{}, "", false
	}
	res, err := taskScript.Run(ctx, o.c, []string{o.projectKey(pid), o.taskKey(pid, taskID)}, roleField(userID)).Slice()
	if err != nil {
		o.fail(ctx, "get task", err)
		return dp.Task{}, "", false
	}
	if len(res) != 2 {
		return dp.Task{}, "", false
	}
	role, obj := objStr(res[0]), objStr(res[1])
	if role == "" || obj == "" {
		return dp.Task{}, "", false
	}
	var c cachedTask
	if !objDecode(obj, &c) {
		return dp.Task{}, "", false
	}
	return c.toDomain(), objParseRole(role), true
}

// PutProject stores p with the given roles at p's version.
func (o *ObjectCache) PutProject(ctx context.Context, p dp.Project, roles map[int64]dp.Role) {
	fields := []any{"o", objEncode(projectToCache(p))}
	for uid, r := range roles {
		fields = append(fields, roleField(uid), objFormatRole(r))
	}
	o.fill(ctx, "put project", []string{o.projectKey(p.ID)}, objFillArgs(p.Version, fields))
}

// PutAccess stores one role at a project version.
func (o *ObjectCache) PutAccess(ctx context.Context, a ports.Access) {
	o.fill(ctx, "put role", []string{o.projectKey(a.ProjectID)},
		objFillArgs(a.ProjectVersion, []any{roleField(a.UserID), objFormatRole(a.Role)}))
}

// PutTask stores t, and a's role in the same command when a is set.
func (o *ObjectCache) PutTask(ctx context.Context, t dp.Task, a ports.Access) {
	o.remember(t.ID, t.ProjectID)
	keys := []string{o.taskKey(t.ProjectID, t.ID)}
	args := objFillArgs(t.Version, []any{"o", objEncode(taskToCache(t))})
	if a.ProjectVersion != 0 && a.ProjectID == t.ProjectID {
		keys = append(keys, o.projectKey(a.ProjectID))
		args = append(args, objFillArgs(a.ProjectVersion, []any{roleField(a.UserID), objFormatRole(a.Role)})...)
	}
	o.fill(ctx, "put task", keys, args)
}

// DropProject turns the project's hash into a tombstone; its tasks become
// unreadable with it, since every task read needs a role from it.
func (o *ObjectCache) DropProject(ctx context.Context, projectID int64) {
	o.fill(ctx, "drop project", []string{o.projectKey(projectID)}, objFillArgs(tombstoneVersion, nil))
}

// DropTask turns the task's hash into a tombstone.
func (o *ObjectCache) DropTask(ctx context.Context, projectID, taskID int64) {
	o.fill(ctx, "drop task", []string{o.taskKey(projectID, taskID)}, objFillArgs(tombstoneVersion, nil))
}

func objFillArgs(version int64, fields []any) []any {
	return append([]any{version, len(fields) / 2}, fields...)
}

// fill runs the fill script; a failed fill is remembered for replay.
func (o *ObjectCache) fill(ctx context.Context, op string, keys []string, args []any) {
	if err := o.runFill(ctx, keys, args); err != nil {
		o.pending.add(op, keys, args)
		o.fail(ctx, op, err)
	}
}

func (o *ObjectCache) runFill(ctx context.Context, keys []string, args []any) error {
	all := append([]any{int64(o.ttl / time.Second)}, args...)
	if err := fillScript.Run(ctx, o.c, keys, all...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

func (o *ObjectCache) remember(taskID, projectID int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.taskProject[taskID]; !ok && len(o.taskProject) >= maxTaskMemo {
		clear(o.taskProject) // cheaper than LRU bookkeeping; refills on the next misses
	}
	o.taskProject[taskID] = projectID
}

// fail logs a Redis failure, at most once per logEvery so an outage does not
// flood the log at request rate.
func (o *ObjectCache) fail(ctx context.Context, op string, err error) {
	now := time.Now().UnixNano()
	last := o.lastLog.Load()
	if now-last < int64(logEvery) || !o.lastLog.CompareAndSwap(last, now) {
		return
	}
	o.log.WarnContext(ctx, "object cache unavailable; serving from MySQL", "op", op, "err", err)
}

func objStr(v any) string {
	s, _ := v.(string)
	return s
}

func objParseRole(s string) dp.Role {
	if s == noRole {
		return dp.RoleNone
	}
	return dp.Role(s)
}

func objFormatRole(r dp.Role) string {
	if r == dp.RoleNone {
		return noRole
	}
	return string(r)
}

func objEncode(v any) string {
	b, _ := json.Marshal(v) // plain structs of strings and numbers always marshal
	return objectFormat + string(b)
}

func objDecode(s string, v any) bool {
	if len(s) < len(objectFormat) || s[:len(objectFormat)] != objectFormat {
		return false
	}
	return json.Unmarshal([]byte(s[len(objectFormat):]), v) == nil
}

// cachedProject is the stored form of a project: short names, since every
// byte is paid for on each read.
type cachedProject struct {
	ID          int64     `json:"i"`
	Name        string    `json:"n"`
	Description string    `json:"d"`
	OwnerID     int64     `json:"w"`
	CreatedAt   time.Time `json:"c"`
	UpdatedAt   time.Time `json:"u"`
	Version     int64     `json:"v"`
}

func projectToCache(p dp.Project) cachedProject { return cachedProject(p) }

func (c cachedProject) toDomain() dp.Project { return dp.Project(c) }

// cachedTask is the stored form of a task.
type cachedTask struct {
	ID          int64      `json:"i"`
	ProjectID   int64      `json:"p"`
	Title       string     `json:"t"`
	Description string     `json:"d"`
	Status      string     `json:"s"`
	Priority    string     `json:"r"`
	AssigneeID  *int64     `json:"a,omitempty"`
	DueDate     string     `json:"due,omitempty"`
	CreatedBy   int64      `json:"b"`
	CreatedAt   time.Time  `json:"c"`
	UpdatedAt   time.Time  `json:"u"`
	CompletedAt *time.Time `json:"x,omitempty"`
	Version     int64      `json:"v"`
}

func taskToCache(t dp.Task) cachedTask {
	c := cachedTask{ID: t.ID, ProjectID: t.ProjectID, Title: t.Title, Description: t.Description,
		Status: string(t.Status), Priority: string(t.Priority), AssigneeID: t.AssigneeID, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, CompletedAt: t.CompletedAt, Version: t.Version}
	if t.DueDate != nil {
		c.DueDate = t.DueDate.String()
	}
	return c
}

func (c cachedTask) toDomain() dp.Task {
	t := dp.Task{ID: c.ID, ProjectID: c.ProjectID, Title: c.Title, Description: c.Description,
		Status: dp.Status(c.Status), Priority: dp.Priority(c.Priority), AssigneeID: c.AssigneeID, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version}
	if c.CompletedAt != nil {
		x := c.CompletedAt.UTC()
		t.CompletedAt = &x
	}
	if c.DueDate != "" {
		if d, err := dp.ParseDate("due_date", c.DueDate); err == nil {
			t.DueDate = &d
		}
	}
	return t
}
