package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectsStore holds every project-side table (projects, members, tasks,
// comments, idempotency records) under one mutex, so a unit of work can
// snapshot and restore them together. Its accessor methods return the
// repository twins, which all share the store.
//
// Update methods hold a per-row lock (not the store mutex) while their
// function runs, like SELECT … FOR UPDATE: the function may call the other
// repositories, and a second Update of the same row waits.
type ProjectsStore struct {
	users ports.UserRepository // optional: member email/name and user existence

	mu       sync.Mutex
	d        projectsData
	rowLocks sync.Map // "p:1" / "t:1" -> *sync.Mutex
}

type projectsData struct {
	seq      int64 // one sequence for all tables: IDs only need to be unique per table
	projects map[int64]dp.Project
	members  map[int64]map[int64]dp.Member // project -> user -> member
	tasks    map[int64]dp.Task
	comments map[int64]dp.Comment
	idem     map[idemID]ports.IdempotencyRecord
}

type idemID struct {
	user int64
	key  string
}

func (d projectsData) clone() projectsData {
	c := d
	c.projects = maps.Clone(d.projects)
	c.members = make(map[int64]map[int64]dp.Member, len(d.members))
	for k, v := range d.members {
		c.members[k] = maps.Clone(v)
	}
	c.tasks = maps.Clone(d.tasks)
	c.comments = maps.Clone(d.comments)
	c.idem = maps.Clone(d.idem)
	return c
}

// NewProjectsStore returns an empty store. users, when not nil, supplies
// members' email and name and refuses memberships of unknown users, as the
// MySQL join and foreign key do.
func NewProjectsStore(users ports.UserRepository) *ProjectsStore {
	return &ProjectsStore{users: users, d: projectsData{
		projects: map[int64]dp.Project{}, members: map[int64]map[int64]dp.Member{},
		tasks: map[int64]dp.Task{}, comments: map[int64]dp.Comment{}, idem: map[idemID]ports.IdempotencyRecord{},
	}}
}

// Snapshot copies every table; calling restore puts the copy back (a
// rollback). Values are never mutated in place, so shallow map copies suffice.
func (s *ProjectsStore) Snapshot() (restore func()) {
	s.mu.Lock()
	snap := s.d.clone()
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.d = snap
		s.mu.Unlock()
	}
}

// Projects returns the ProjectRepository twin.
func (s *ProjectsStore) Projects() *ProjectRepository { return &ProjectRepository{s} }

// Members returns the MemberRepository twin.
func (s *ProjectsStore) Members() *MemberRepository { return &MemberRepository{s} }

// Tasks returns the TaskRepository twin.
func (s *ProjectsStore) Tasks() *TaskRepository { return &TaskRepository{s} }

// Comments returns the CommentRepository twin.
func (s *ProjectsStore) Comments() *CommentRepository { return &CommentRepository{s} }

// Idempotency returns the IdempotencyRepository twin.
func (s *ProjectsStore) Idempotency() *IdempotencyRepository { return &IdempotencyRepository{s} }

// lockRow takes the row lock of key and returns its unlock.
func (s *ProjectsStore) lockRow(key string) func() {
	m, _ := s.rowLocks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// ProjectRepository is the in-memory twin of the projects table.
type ProjectRepository struct{ s *ProjectsStore }

var _ ports.ProjectRepository = (*ProjectRepository)(nil)

// Create inserts p and sets its ID.
func (r *ProjectRepository) Create(_ context.Context, p *dp.Project) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.d.seq++
	p.ID = r.s.d.seq
	r.s.d.projects[p.ID] = *p
	return nil
}

// ByID returns the project; NotFound when absent.
func (r *ProjectRepository) ByID(_ context.Context, id int64) (dp.Project, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	return p, nil
}

// ByIDForUser returns the project and the user's role; NotFound when absent.
func (r *ProjectRepository) ByIDForUser(_ context.Context, id, userID int64) (dp.Project, dp.Role, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, "", domain.ErrNotFound
	}
	return p, r.s.d.members[id][userID].Role, nil
}

// ListForUser returns the user's projects by descending ID after afterID.
func (r *ProjectRepository) ListForUser(_ context.Context, userID, afterID int64, limit int) ([]ports.ProjectWithRole, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []ports.ProjectWithRole
	for pid, ms := range r.s.d.members {
		if m, ok := ms[userID]; ok && (afterID == 0 || pid < afterID) {
			out = append(out, ports.ProjectWithRole{Project: r.s.d.projects[pid], Role: m.Role})
		}
	}
	slices.SortFunc(out, func(a, b ports.ProjectWithRole) int { return cmp.Compare(b.Project.ID, a.Project.ID) })
	return out[:min(limit, len(out))], nil
}

// Update applies fn under the project's row lock; PreconditionFailed when
// the version moved meanwhile (it cannot, under the lock, but the check
// mirrors MySQL's compare-and-set).
func (r *ProjectRepository) Update(_ context.Context, id int64, fn func(*dp.Project) error) (dp.Project, error) {
	defer r.s.lockRow("p:" + itoa(id))()
	r.s.mu.Lock()
	p, ok := r.s.d.projects[id]
	r.s.mu.Unlock()
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	old := p.Version
	if err := fn(&p); err != nil {
		return dp.Project{}, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	cur, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	if cur.Version != old {
		return dp.Project{}, domain.ErrPreconditionFailed
	}
	p.ID = id
	r.s.d.projects[id] = p
	return p, nil
}

// Delete removes the project, its members, tasks and their comments.
func (r *ProjectRepository) Delete(_ context.Context, id int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.projects[id]; !ok {
		return domain.ErrNotFound
	}
	delete(r.s.d.projects, id)
	delete(r.s.d.members, id)
	for tid, t := range r.s.d.tasks {
		if t.ProjectID == id {
			r.s.deleteTaskLocked(tid)
		}
	}
	return nil
}

func (s *ProjectsStore) deleteTaskLocked(id int64) {
	delete(s.d.tasks, id)
	for cid, c := range s.d.comments {
		if c.TaskID == id {
			delete(s.d.comments, cid)
		}
	}
}

// MemberRepository is the in-memory twin of the project_members table.
type MemberRepository struct{ s *ProjectsStore }

var _ ports.MemberRepository = (*MemberRepository)(nil)

// Add inserts m; ErrAlreadyMember when present, NotFound for an unknown
// project or user.
func (r *MemberRepository) Add(ctx context.Context, m dp.Member) error {
	if r.s.users != nil {
		if _, err := r.s.users.ByID(ctx, m.UserID); err != nil {
			return err
		}
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.projects[m.ProjectID]; !ok {
		return domain.ErrNotFound
	}
	ms := r.s.d.members[m.ProjectID]
	if ms == nil {
		ms = map[int64]dp.Member{}
		r.s.d.members[m.ProjectID] = ms
	}
	if _, ok := ms[m.UserID]; ok {
		return dp.ErrAlreadyMember
	}
	ms[m.UserID] = m
	return nil
}

// Roles returns the members among userIDs and every owner, ascending.
func (r *MemberRepository) Roles(_ context.Context, projectID int64, userIDs ...int64) (map[int64]dp.Role, []int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	roles := map[int64]dp.Role{}
	var owners []int64
	for uid, m := range r.s.d.members[projectID] {
		if slices.Contains(userIDs, uid) {
			roles[uid] = m.Role
		}
		if m.Role == dp.RoleOwner {
			owners = append(owners, uid)
		}
	}
	slices.Sort(owners)
	return roles, owners, nil
}

// Get returns one membership; ErrMemberNotFound when absent.
func (r *MemberRepository) Get(ctx context.Context, projectID, userID int64) (dp.Member, error) {
	r.s.mu.Lock()
	m, ok := r.s.d.members[projectID][userID]
	r.s.mu.Unlock()
	if !ok {
		return dp.Member{}, dp.ErrMemberNotFound
	}
	return r.withUser(ctx, m), nil
}

// List returns members by ascending user ID after afterUserID.
func (r *MemberRepository) List(ctx context.Context, projectID, afterUserID int64, limit int) ([]dp.Member, error) {
	r.s.mu.Lock()
	var out []dp.Member
	for uid, m := range r.s.d.members[projectID] {
		if uid > afterUserID {
			out = append(out, m)
		}
	}
	r.s.mu.Unlock()
	slices.SortFunc(out, func(a, b dp.Member) int { return cmp.Compare(a.UserID, b.UserID) })
	out = out[:min(limit, len(out))]
	for i := range out {
		out[i] = r.withUser(ctx, out[i])
	}
	return out, nil
}

func (r *MemberRepository) withUser(ctx context.Context, m dp.Member) dp.Member {
	if r.s.users != nil {
		if u, err := r.s.users.ByID(ctx, m.UserID); err == nil {
			m.Email, m.Name = u.Email, u.Name
		}
	}
	return m
}

// SetRole changes a role; ErrMemberNotFound when absent.
func (r *MemberRepository) SetRole(_ context.Context, projectID, userID int64, role dp.Role) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m, ok := r.s.d.members[projectID][userID]
	if !ok {
		return dp.ErrMemberNotFound
	}
	m.Role = role
	r.s.d.members[projectID][userID] = m
	return nil
}

// Remove deletes a membership; ErrMemberNotFound when absent.
func (r *MemberRepository) Remove(_ context.Context, projectID, userID int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.members[projectID][userID]; !ok {
		return dp.ErrMemberNotFound
	}
	delete(r.s.d.members[projectID], userID)
	return nil
}

// TaskRepository is the in-memory twin of the tasks table.
type TaskRepository struct{ s *ProjectsStore }

var _ ports.TaskRepository = (*TaskRepository)(nil)

// Create inserts t and sets its ID; NotFound when the project is gone.
func (r *TaskRepository) Create(_ context.Context, t *dp.Task) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.projects[t.ProjectID]; !ok {
		return domain.ErrNotFound
	}
	r.s.d.seq++
	t.ID = r.s.d.seq
	r.s.d.tasks[t.ID] = *t
	return nil
}

// ByID returns the task; NotFound when absent.
func (r *TaskRepository) ByID(_ context.Context, id int64) (dp.Task, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	t, ok := r.s.d.tasks[id]
	if !ok {
		return dp.Task{}, domain.ErrNotFound
	}
	return t, nil
}

// ByIDForUser returns the task and the user's standing in its project.
func (r *TaskRepository) ByIDForUser(_ context.Context, id, userID int64) (dp.Task, ports.Access, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	t, ok := r.s.d.tasks[id]
	if !ok {
		return dp.Task{}, ports.Access{}, domain.ErrNotFound
	}
	a := ports.Access{ProjectID: t.ProjectID, ProjectVersion: r.s.d.projects[t.ProjectID].Version,
		UserID: userID, Role: r.s.d.members[t.ProjectID][userID].Role}
	return t, a, nil
}

// List returns one page in the query's order after q.After.
func (r *TaskRepository) List(_ context.Context, q ports.TaskQuery) ([]dp.Task, error) {
	r.s.mu.Lock()
	var out []dp.Task
	f := q.Filter
	needle := strings.ToLower(f.Query)
	for _, t := range r.s.d.tasks {
		switch {
		case t.ProjectID != q.ProjectID,
			f.Status != "" && t.Status != f.Status,
			f.Priority != "" && t.Priority != f.Priority,
			f.AssigneeID != 0 && (t.AssigneeID == nil || *t.AssigneeID != f.AssigneeID),
			f.DueBefore != nil && (t.DueDate == nil || !t.DueDate.Before(*f.DueBefore)),
			needle != "" && !strings.Contains(strings.ToLower(t.Title), needle):
			continue
		}
		if q.After != nil && compareTasks(ports.KeyOf(t, q.Order), *q.After, q.Order) <= 0 {
			continue
		}
		out = append(out, t)
	}
	r.s.mu.Unlock()
	slices.SortFunc(out, func(a, b dp.Task) int {
		return compareTasks(ports.KeyOf(a, q.Order), ports.KeyOf(b, q.Order), q.Order)
	})
	return out[:min(q.Limit, len(out))], nil
}

// compareTasks orders keys as the list order does: negative when a comes first.
func compareTasks(a, b ports.TaskKey, o ports.TaskOrder) int {
	switch o {
	case ports.OrderDueDate:
		return cmp.Or(cmp.Compare(dueOrder(a.DueDate), dueOrder(b.DueDate)), cmp.Compare(a.ID, b.ID))
	case ports.OrderPriority:
		return cmp.Or(cmp.Compare(b.Priority.Rank(), a.Priority.Rank()), cmp.Compare(b.ID, a.ID))
	default:
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	}
}

// dueOrder sorts tasks without a due date last, as MySQL's due_order column does.
func dueOrder(d *dp.Date) string {
	if d == nil {
		return dp.NoDueDate.String()
	}
	return d.String()
}

// Update applies fn under the task's row lock.
func (r *TaskRepository) Update(_ context.Context, id int64, fn func(*dp.Task) error) (dp.Task, error) {
	defer r.s.lockRow("t:" + itoa(id))()
	r.s.mu.Lock()
	t, ok := r.s.d.tasks[id]
	r.s.mu.Unlock()
	if !ok {
		return dp.Task{}, domain.ErrNotFound
	}
	old := t.Version
	if err := fn(&t); err != nil {
		return dp.Task{}, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	cur, ok := r.s.d.tasks[id]
	if !ok {
		return dp.Task{}, domain.ErrNotFound
	}
	if cur.Version != old {
		return dp.Task{}, domain.ErrPreconditionFailed
	}
	t.ID, t.ProjectID = id, cur.ProjectID
	r.s.d.tasks[id] = t
	return t, nil
}

// Delete removes the task and its comments; NotFound when absent.
func (r *TaskRepository) Delete(_ context.Context, id int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.tasks[id]; !ok {
		return domain.ErrNotFound
	}
	r.s.deleteTaskLocked(id)
	return nil
}

// CommentRepository is the in-memory twin of the comments table.
type CommentRepository struct{ s *ProjectsStore }

var _ ports.CommentRepository = (*CommentRepository)(nil)

// Create inserts c and sets its ID; NotFound when the task is gone.
func (r *CommentRepository) Create(_ context.Context, c *dp.Comment) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.tasks[c.TaskID]; !ok {
		return domain.ErrNotFound
	}
	r.s.d.seq++
	c.ID = r.s.d.seq
	r.s.d.comments[c.ID] = *c
	return nil
}

// List returns a task's comments by ascending ID after afterID.
func (r *CommentRepository) List(_ context.Context, taskID, afterID int64, limit int) ([]dp.Comment, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []dp.Comment
	for _, c := range r.s.d.comments {
		if c.TaskID == taskID && c.ID > afterID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b dp.Comment) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

// IdempotencyRepository is the in-memory twin of the idempotency_keys table.
type IdempotencyRepository struct{ s *ProjectsStore }

var _ ports.IdempotencyRepository = (*IdempotencyRepository)(nil)

// Save stores rec; ErrIdempotencyKeyUsed when the user's key exists.
func (r *IdempotencyRepository) Save(_ context.Context, rec ports.IdempotencyRecord) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := idemID{rec.UserID, rec.Key}
	if _, ok := r.s.d.idem[id]; ok {
		return dp.ErrIdempotencyKeyUsed
	}
	rec.Response = slices.Clone(rec.Response)
	r.s.d.idem[id] = rec
	return nil
}

// Get returns the user's record for key; NotFound when absent.
func (r *IdempotencyRepository) Get(_ context.Context, userID int64, key string) (ports.IdempotencyRecord, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	rec, ok := r.s.d.idem[idemID{userID, key}]
	if !ok {
		return ports.IdempotencyRecord{}, domain.ErrNotFound
	}
	rec.Response = slices.Clone(rec.Response)
	return rec, nil
}

// DeleteExpired removes the record when created before cutoff.
func (r *IdempotencyRepository) DeleteExpired(_ context.Context, userID int64, key string, cutoff time.Time) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := idemID{userID, key}
	if rec, ok := r.s.d.idem[id]; ok && rec.CreatedAt.Before(cutoff) {
		delete(r.s.d.idem, id)
	}
	return nil
}

// Purge removes every record created before cutoff.
func (r *IdempotencyRepository) Purge(_ context.Context, cutoff time.Time) (int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var n int64
	for id, rec := range r.s.d.idem {
		if rec.CreatedAt.Before(cutoff) {
			delete(r.s.d.idem, id)
			n++
		}
	}
	return n, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
