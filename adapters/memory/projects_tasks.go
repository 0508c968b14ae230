package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

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

// CreateIfMember inserts t when its creator (and assignee, if any) are
// members of its project; a claim ID already carried by an existing task
// is ErrIdempotencyKeyUsed, as the unique key on tasks.idempotency_id.
func (r *TaskRepository) CreateIfMember(_ context.Context, t *dp.Task, claimID int64) (bool, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	members := r.s.d.members[t.ProjectID]
	if _, ok := members[t.CreatedBy]; !ok {
		return false, nil
	}
	if t.AssigneeID != nil {
		if _, ok := members[*t.AssigneeID]; !ok {
			return false, nil
		}
	}
	// As in MySQL, the unique key is met only by a row the checks let through.
	if claimID != 0 {
		if _, ok := r.s.claimedTaskLocked(claimID); ok {
			return false, dp.ErrIdempotencyKeyUsed
		}
	}
	r.s.d.seq++
	t.ID = r.s.d.seq
	r.s.d.tasks[t.ID] = *t
	if claimID != 0 {
		r.s.d.claimed[claimID] = t.ID
	}
	return true, nil
}

// claimedTaskLocked returns the task that still exists under a claim. The
// caller holds mu.
func (s *ProjectsStore) claimedTaskLocked(claimID int64) (dp.Task, bool) {
	id, ok := s.d.claimed[claimID]
	if !ok {
		return dp.Task{}, false
	}
	t, ok := s.d.tasks[id]
	return t, ok
}

// SaveIfMember stores t when the stored version is prev and userID (and a
// set assignee) are members of its project.
func (r *TaskRepository) SaveIfMember(_ context.Context, t dp.Task, prev, userID int64) (bool, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	cur, ok := r.s.d.tasks[t.ID]
	if !ok || cur.Version != prev {
		return false, nil
	}
	members := r.s.d.members[cur.ProjectID]
	if _, ok := members[userID]; !ok {
		return false, nil
	}
	if t.AssigneeID != nil {
		if _, ok := members[*t.AssigneeID]; !ok {
			return false, nil
		}
	}
	t.ProjectID, t.CreatedBy, t.CreatedAt = cur.ProjectID, cur.CreatedBy, cur.CreatedAt
	r.s.d.tasks[t.ID] = t
	return true, nil
}

// Delete removes the task and its comments when its version is version
// (0: any); NotFound when absent, PreconditionFailed when the version
// differs.
func (r *TaskRepository) Delete(_ context.Context, id, version int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	t, ok := r.s.d.tasks[id]
	if !ok {
		return domain.ErrNotFound
	}
	if version != 0 && t.Version != version {
		return domain.ErrPreconditionFailed
	}
	r.s.deleteTaskLocked(id)
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

// AssignedTo returns the IDs of the project's tasks assigned to userID, ascending.
func (r *TaskRepository) AssignedTo(_ context.Context, projectID, userID int64) ([]int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var ids []int64
	for id, t := range r.s.d.tasks {
		if t.ProjectID == projectID && t.AssigneeID != nil && *t.AssigneeID == userID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
