package projects

import (
	"context"
	"errors"
	"fmt"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ListTasks returns a page of a project's tasks; any member may list them.
// Zero Order means newest first.
func (s *Service) ListTasks(ctx context.Context, caller int64, q ports.TaskQuery) (items []dp.Task, more bool, err error) {
	if q.Order == "" {
		q.Order = ports.OrderNewest
	}
	var fe []domain.FieldError
	if !q.Order.Valid() {
		fe = append(fe, domain.FieldError{Field: "order", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "-created_at, due_date, -priority"}})
	}
	if q.Filter.Status != "" && !q.Filter.Status.Valid() {
		fe = append(fe, domain.FieldError{Field: "status", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "todo, in_progress, done"}})
	}
	if q.Filter.Priority != "" && !q.Filter.Priority.Valid() {
		fe = append(fe, domain.FieldError{Field: "priority", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "low, normal, high, urgent"}})
	}
	if q.Filter.AssigneeID < 0 {
		fe = append(fe, domain.FieldError{Field: "assignee_id", Code: "id", Key: "validation.id"})
	}
	if len(q.Filter.Query) > dp.MaxTitleLen*4 {
		fe = append(fe, domain.FieldError{Field: "q", Code: "max", Key: "validation.max", Params: map[string]any{"param": dp.MaxTitleLen}})
	}
	if q.Limit, err = checkLimit(q.Limit); err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			fe = append(fe, de.Fields...)
		}
	}
	if len(fe) > 0 {
		return nil, false, domain.Invalid(fe...)
	}
	if _, err := s.access(ctx, q.ProjectID, caller); err != nil {
		return nil, false, err
	}
	limit := q.Limit
	q.Limit++
	items, err = s.repos.Tasks.List(ctx, q)
	return page(items, limit, err)
}

// CreateTask creates a task in a project; any member may. The assignee must
// be a member (ErrAssigneeNotMember).
func (s *Service) CreateTask(ctx context.Context, caller, projectID int64, d dp.TaskDraft, idemKey string) (t dp.Task, replayed bool, err error) {
	now := s.now()
	t0, err := dp.NewTask(projectID, caller, d, now)
	if err != nil {
		return dp.Task{}, false, err
	}
	t, replayed, err = runCreate(ctx, s, caller, idemKey, fmt.Sprintf("task:%d", projectID), d, func(ctx context.Context, r ports.Repos) (dp.Task, error) {
		ids := []int64{caller}
		if d.AssigneeID != nil {
			ids = append(ids, *d.AssigneeID)
		}
		roles, _, err := r.Members.Roles(ctx, projectID, ids...)
		if err != nil {
			return dp.Task{}, err
		}
		if roles[caller] == dp.RoleNone {
			return dp.Task{}, domain.ErrNotFound
		}
		if d.AssigneeID != nil && roles[*d.AssigneeID] == dp.RoleNone {
			return dp.Task{}, dp.ErrAssigneeNotMember
		}
		t := t0
		err = r.Tasks.Create(ctx, &t)
		return t, err
	})
	if err == nil && !replayed {
		s.cache.PutTask(ctx, t, ports.Access{})
	}
	return t, replayed, err
}

// GetTask returns a task of a project the caller is a member of.
func (s *Service) GetTask(ctx context.Context, caller, id int64) (dp.Task, error) {
	t, _, err := s.taskAccess(ctx, caller, id)
	return t, err
}

// UpdateTask applies changes to a task; any member may. ifMatch lists the
// versions the client accepts (nil: any); the check runs under the row lock,
// so of two writers holding the same version exactly one wins.
//
// The caller's membership is read before the transaction, from the cache
// with the task (one Redis command; MySQL on a miss), as every read of the
// task does, rather than by a roles query inside it: that keeps a warm PATCH
// at four statements (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT), the
// issue's budget. It is no weaker than the in-transaction read was: under
// READ COMMITTED that read did not lock the membership row either, so a
// removal could commit right after it just as it can after the cache read;
// and the cache's roles are versioned with the project, so a removal's own
// cache refresh makes them unreadable at once. A new assignee is still
// checked inside the transaction (one more statement, only then).
func (s *Service) UpdateTask(ctx context.Context, caller, id int64, c dp.TaskChanges, ifMatch []int64) (dp.Task, error) {
	if _, _, err := s.taskAccess(ctx, caller, id); err != nil {
		return dp.Task{}, err
	}
	now := s.now()
	var t dp.Task
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		var err error
		t, err = r.Tasks.Update(ctx, id, func(t *dp.Task) error {
			if !versionMatches(ifMatch, t.Version) {
				return domain.ErrPreconditionFailed
			}
			if c.AssigneeChanged(*t) {
				roles, _, err := r.Members.Roles(ctx, t.ProjectID, caller, *c.AssigneeID)
				if err != nil {
					return err
				}
				if roles[caller] == dp.RoleNone {
					return domain.ErrNotFound
				}
				if roles[*c.AssigneeID] == dp.RoleNone {
					return dp.ErrAssigneeNotMember
				}
			}
			return t.Apply(c, now)
		})
		return err
	})
	if err != nil {
		return dp.Task{}, err
	}
	s.cache.PutTask(ctx, t, ports.Access{})
	return t, nil
}

// DeleteTask deletes a task and its comments; any member may.
func (s *Service) DeleteTask(ctx context.Context, caller, id int64, ifMatch []int64) error {
	var projectID int64
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		t, a, err := r.Tasks.ByIDForUser(ctx, id, caller)
		if err != nil {
			return err
		}
		if a.Role == dp.RoleNone {
			return domain.ErrNotFound
		}
		if !versionMatches(ifMatch, t.Version) {
			return domain.ErrPreconditionFailed
		}
		projectID = t.ProjectID
		return r.Tasks.Delete(ctx, id)
	})
	if err == nil {
		s.cache.DropTask(ctx, projectID, id)
	}
	return err
}
