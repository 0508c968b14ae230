package projects

import (
	"context"
	"errors"
	"time"

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
//
// Without an Idempotency-Key it is one statement: an INSERT … SELECT that
// carries the membership checks (ports.TaskRepository.CreateIfMember),
// autocommit; only when it inserts nothing does a second read tell the
// caller why. With a key it is two: the key's claim, then the same
// INSERT … SELECT linked to it (see createKeyedTask).
func (s *Service) CreateTask(ctx context.Context, caller, projectID int64, d dp.TaskDraft, idemKey string) (t dp.Task, replayed bool, err error) {
	now := s.now()
	ticket := s.cache.Ticket()
	t0, err := dp.NewTask(projectID, caller, d, now)
	if err != nil {
		return dp.Task{}, false, err
	}
	if idemKey != "" {
		return s.createKeyedTask(ctx, ticket, caller, d, t0, idemKey)
	}
	t = t0
	created, err := s.repos.Tasks.CreateIfMember(ctx, &t, 0)
	if err != nil {
		return dp.Task{}, false, err
	}
	if !created {
		return dp.Task{}, false, s.whyNot(ctx, projectID, caller, d.AssigneeID)
	}
	// A new task: no instance holds a copy to announce a change to.
	s.cache.PutTask(ctx, ticket, t, ports.Access{})
	return t, false, nil
}

// whyNot explains a write refused by its membership checks: NotFound when
// the caller is not a member (or the project is gone), ErrAssigneeNotMember
// when the assignee is not one, Conflict when both are members by now (the
// membership changed between the write and this read; the client retries).
func (s *Service) whyNot(ctx context.Context, projectID, caller int64, assignee *int64) error {
	ids := []int64{caller}
	if assignee != nil {
		ids = append(ids, *assignee)
	}
	roles, _, err := s.repos.Members.Roles(ctx, projectID, ids...)
	switch {
	case err != nil:
		return err
	case roles[caller] == dp.RoleNone:
		return domain.ErrNotFound
	case assignee != nil && roles[*assignee] == dp.RoleNone:
		return dp.ErrAssigneeNotMember
	}
	return domain.ErrConflict
}

// GetTask returns a task of a project the caller is a member of.
func (s *Service) GetTask(ctx context.Context, caller, id int64) (dp.Task, error) {
	t, _, err := s.taskAccess(ctx, caller, id)
	return t, err
}

// UpdateTask applies changes to a task; any member may. ifMatch lists the
// versions the client accepts (nil: any).
//
// The write is one UPDATE joined with the caller's membership and guarded
// by the version it starts from (ports.TaskRepository.SaveIfMember),
// autocommit: it authorises against MySQL in its own statement, never
// against a cache. Of two writers holding the same version exactly one
// matches.
//
// Warm, the version comes from this instance's copy: when the cache holds
// the task, knows the caller is a member and the copy satisfies If-Match,
// the change is applied to the copy and written at once (one statement,
// then the announcement). Cold, or when that write changes nothing (the
// copy was stale, the caller lost the membership, the task is gone, the
// assignee is not a member) or the change does not apply to the copy, the
// task is read with the caller's role first and the answer is the cold
// path's, read from MySQL: 404, 412, 422 or the write. The loser of a race
// reads again and gets PreconditionFailed when it sent If-Match, or has its
// change applied to the newer version when it did not (at most
// maxWriteAttempts times).
func (s *Service) UpdateTask(ctx context.Context, caller, id int64, c dp.TaskChanges, ifMatch []int64) (dp.Task, error) {
	if t, ok, err := s.updateCachedTask(ctx, caller, id, c, ifMatch); ok || err != nil {
		return t, err
	}
	for range maxWriteAttempts {
		ticket := s.cache.Ticket()
		cur, a, err := s.repos.Tasks.ByIDForUser(ctx, id, caller)
		if err != nil {
			return dp.Task{}, err
		}
		// What was read replaces a missing or outdated copy, so that the
		// next write of this task can start from it.
		s.cache.PutTask(ctx, ticket, cur, a)
		if a.Role == dp.RoleNone {
			return dp.Task{}, domain.ErrNotFound
		}
		if !versionMatches(ifMatch, cur.Version) {
			return dp.Task{}, domain.ErrPreconditionFailed
		}
		next := cur
		if err := next.Apply(c, s.now()); err != nil {
			return dp.Task{}, err
		}
		saved, err := s.repos.Tasks.SaveIfMember(ctx, next, cur.Version, caller)
		if err != nil {
			return dp.Task{}, err
		}
		if saved {
			s.saved(ctx, ticket, next)
			return next, nil
		}
		// Refused: another writer won, the caller lost the membership, or
		// the new assignee is not a member. The next read tells the first
		// two apart; only the assignee needs a question of its own.
		if c.AssigneeChanged(cur) {
			roles, _, err := s.repos.Members.Roles(ctx, cur.ProjectID, *c.AssigneeID)
			if err != nil {
				return dp.Task{}, err
			}
			if roles[*c.AssigneeID] == dp.RoleNone {
				return dp.Task{}, dp.ErrAssigneeNotMember
			}
		}
	}
	return dp.Task{}, domain.ErrConflict
}

// updateCachedTask is UpdateTask's warm path: the change applied to this
// instance's copy of the task and written with the copy's version, without
// reading first. ok is false, with nothing written, whenever the cold path
// must decide: no usable copy, a change that does not apply to it, or a
// write that matched nothing.
//
// It relies on what the cache's reads rely on: a task's version moves with
// every write of it, so a copy at the stored version is the stored row.
// The one change that does not move it, a deleted user's assignments
// cleared by the foreign key, cannot be written back: the UPDATE requires
// a set assignee to be a member, the deleted user is none, and the cold
// path reads the row.
func (s *Service) updateCachedTask(ctx context.Context, caller, id int64, c dp.TaskChanges, ifMatch []int64) (dp.Task, bool, error) {
	ticket := s.cache.Ticket()
	cur, role, ok := s.cache.Task(ctx, id, caller)
	if !ok || role == dp.RoleNone || !versionMatches(ifMatch, cur.Version) {
		return dp.Task{}, false, nil
	}
	next := cur
	if !applies(&next, c, s.now()) {
		// Answered by the cold path, which checks membership and the
		// version against MySQL before the change, as it always has.
		return dp.Task{}, false, nil
	}
	saved, err := s.repos.Tasks.SaveIfMember(ctx, next, cur.Version, caller)
	if err != nil || !saved {
		return dp.Task{}, false, err
	}
	s.saved(ctx, ticket, next)
	return next, true, nil
}

// applies reports whether c applies to t (and applies it); why not is the
// cold path's to say.
func applies(t *dp.Task, c dp.TaskChanges, now time.Time) bool { return t.Apply(c, now) == nil }

// saved keeps a task write on this instance (so the writer reads it at
// once) and announces it; the other instances drop their older copies
// when the announcement reaches them.
func (s *Service) saved(ctx context.Context, ticket uint64, t dp.Task) {
	s.cache.PutTask(ctx, ticket, t, ports.Access{})
	s.announce(ctx, ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: t.ID, Version: t.Version}}})
}

// maxWriteAttempts bounds the read-and-write rounds of a write that keeps
// losing to concurrent writers; past it the client is told Conflict. Each
// round one of the writers holding the same version wins, so a writer
// without If-Match among n concurrent ones needs up to n rounds: 10 keeps
// last-writer-wins for every realistic burst on one task (a row lock
// used to serialise them) while still bounding a pathological one.
const maxWriteAttempts = 10

// DeleteTask deletes a task and its comments; any member may. With
// If-Match the delete is guarded by the version that matched, in the same
// statement, so a concurrent PATCH that commits after the read makes it
// PreconditionFailed, never lost.
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
		return r.Tasks.Delete(ctx, id, guardVersion(ifMatch, t.Version))
	})
	if err == nil {
		s.cache.DropTask(ctx, projectID, id)
		s.announce(ctx, ports.Invalidation{Tasks: []ports.ObjectVersion{{ID: id, Version: ports.Deleted}}})
	}
	return err
}
