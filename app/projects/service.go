// Package projects is the projects module's use cases: projects, their
// members, tasks and comments. Authorisation lives here, not in handlers or
// SQL: a non-member gets NotFound for a project and anything in it (never a
// hint that it exists), a member who is not an owner gets Forbidden for
// owner-only actions, and the last owner can be neither removed nor demoted.
//
// # Round-trips on a warm cache
//
// Reads go to the ProjectCache first (one Redis command each) and to MySQL
// on a miss; writes run in one transaction and then refresh the cache with
// one command. Per endpoint, warm cache, statements not counting BEGIN/COMMIT
// (the budgets count them: POST and PATCH task are 4 each with them;
// bootstrap/onittest/budget_test.go asserts those budgets):
//
//	GET project, GET task          0 MySQL, 1 Redis
//	GET lists of tasks, members    1 MySQL, 1 Redis (the caller's role)
//	GET comments                   1 MySQL, 1 Redis (task and role in one script)
//	GET projects                   1 MySQL, 0 Redis
//	POST project                   2 MySQL (+1 with Idempotency-Key), 1 Redis
//	POST task                      2 MySQL (+1 with Idempotency-Key), 1 Redis
//	POST comment                   2 MySQL (+1 with Idempotency-Key), 0 Redis
//	PATCH task                     2 MySQL (lock, update; +1 roles when the assignee changes), 2 Redis (task and role, refresh)
//	PATCH project                  3 MySQL, 1 Redis
//	DELETE task                    3 MySQL, 1 Redis
//	DELETE project                 2 MySQL (foreign keys cascade), 1 Redis
//	POST member                    4 MySQL (+1 user lookup, +1 with Idempotency-Key), 2 Redis
//	PATCH/DELETE member            4-5 MySQL, 1 Redis
//
// A miss adds one MySQL read and one Redis write that refills the cache.
// Authenticating the request adds nothing on an instance that already knows
// the session (see app/accounts.Service.Authenticate).
package projects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// Page limits of the contract: 1-100 items, 50 by default.
const (
	DefaultLimit = 50
	MaxLimit     = 100
	// MaxIdempotencyKeyLen bounds Idempotency-Key; it is stored in an indexed column.
	MaxIdempotencyKeyLen = 255
)

// Config holds the module's settings as plain values.
type Config struct {
	// IdempotencyTTL is how long a creating POST's response is replayed for
	// the same Idempotency-Key (the contract: 24 hours).
	IdempotencyTTL time.Duration
}

// Service runs the projects module's use cases.
type Service struct {
	uow   ports.UnitOfWork
	repos ports.Repos // outside transactions: single consistent reads on the pool
	cache ports.ProjectCache
	clock ports.Clock
	ttl   time.Duration
}

// NewService wires the use cases. repos are the repositories outside any
// transaction (used for single reads); uow runs every write. A nil cache
// disables caching.
func NewService(uow ports.UnitOfWork, repos ports.Repos, cache ports.ProjectCache, clock ports.Clock, cfg Config) *Service {
	if cache == nil {
		cache = noCache{}
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	return &Service{uow: uow, repos: repos, cache: cache, clock: clock, ttl: cfg.IdempotencyTTL}
}

// now is the clock's time in UTC at the database's microsecond precision, so
// values read back compare equal to the ones written (keyset cursors need it).
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// ---- projects ----

// ProjectView is a project as the caller sees it, with the caller's role.
type ProjectView = ports.ProjectWithRole

// NewProject is the input of CreateProject.
type NewProject struct {
	Name        string
	Description string
}

// CreateProject creates a project owned by caller. With an idempotency key a
// retry returns the first result and replayed=true.
func (s *Service) CreateProject(ctx context.Context, caller int64, in NewProject, idemKey string) (v ProjectView, replayed bool, err error) {
	now := s.now()
	p0, err := dp.NewProject(in.Name, in.Description, caller, now)
	if err != nil {
		return ProjectView{}, false, err
	}
	v, replayed, err = runCreate(ctx, s, caller, idemKey, "project", in, func(ctx context.Context, r ports.Repos) (ProjectView, error) {
		p := p0
		if err := r.Projects.Create(ctx, &p); err != nil {
			return ProjectView{}, err
		}
		m := dp.Member{ProjectID: p.ID, UserID: caller, Role: dp.RoleOwner, JoinedAt: now}
		if err := r.Members.Add(ctx, m); err != nil {
			return ProjectView{}, err
		}
		return ProjectView{Project: p, Role: dp.RoleOwner}, nil
	})
	if err == nil && !replayed {
		s.cache.PutProject(ctx, v.Project, map[int64]dp.Role{caller: dp.RoleOwner})
	}
	return v, replayed, err
}

// ListProjects returns a page of the caller's projects, newest first, after
// the project ID after (0: first page). more tells whether a next page exists.
func (s *Service) ListProjects(ctx context.Context, caller, after int64, limit int) (items []ProjectView, more bool, err error) {
	if limit, err = checkLimit(limit); err != nil {
		return nil, false, err
	}
	items, err = s.repos.Projects.ListForUser(ctx, caller, after, limit+1)
	return page(items, limit, err)
}

// GetProject returns a project the caller is a member of.
func (s *Service) GetProject(ctx context.Context, caller, id int64) (ProjectView, error) {
	if p, role, ok := s.cache.Project(ctx, id, caller); ok {
		if role == dp.RoleNone {
			return ProjectView{}, domain.ErrNotFound
		}
		return ProjectView{Project: p, Role: role}, nil
	}
	p, role, err := s.repos.Projects.ByIDForUser(ctx, id, caller)
	if err != nil {
		return ProjectView{}, err
	}
	s.cache.PutProject(ctx, p, map[int64]dp.Role{caller: role})
	if role == dp.RoleNone {
		return ProjectView{}, domain.ErrNotFound
	}
	return ProjectView{Project: p, Role: role}, nil
}

// UpdateProject edits a project; owners only. ifMatch lists the versions the
// client accepts (nil: any).
func (s *Service) UpdateProject(ctx context.Context, caller, id int64, c dp.ProjectChanges, ifMatch []int64) (ProjectView, error) {
	now := s.now()
	var p dp.Project
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		var err error
		p, err = r.Projects.Update(ctx, id, func(p *dp.Project) error {
			if err := requireRole(ctx, r, id, caller, dp.RoleOwner); err != nil {
				return err
			}
			if !versionMatches(ifMatch, p.Version) {
				return domain.ErrPreconditionFailed
			}
			return p.Edit(c, now)
		})
		return err
	})
	if err != nil {
		return ProjectView{}, err
	}
	s.cache.PutProject(ctx, p, map[int64]dp.Role{caller: dp.RoleOwner})
	return ProjectView{Project: p, Role: dp.RoleOwner}, nil
}

// DeleteProject deletes a project with its members, tasks and comments in
// one transaction; owners only.
func (s *Service) DeleteProject(ctx context.Context, caller, id int64, ifMatch []int64) error {
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		p, role, err := r.Projects.ByIDForUser(ctx, id, caller)
		if err != nil {
			return err
		}
		if err := allow(role, dp.RoleOwner); err != nil {
			return err
		}
		if !versionMatches(ifMatch, p.Version) {
			return domain.ErrPreconditionFailed
		}
		return r.Projects.Delete(ctx, id)
	})
	if err == nil {
		s.cache.DropProject(ctx, id)
	}
	return err
}

// ---- members ----

// NewMember is the input of AddMember.
type NewMember struct {
	Email string
	Role  dp.Role
}

// ListMembers returns a page of a project's members by user ID, after the
// user ID after; any member may list them.
func (s *Service) ListMembers(ctx context.Context, caller, projectID, after int64, limit int) (items []dp.Member, more bool, err error) {
	if limit, err = checkLimit(limit); err != nil {
		return nil, false, err
	}
	if _, err := s.access(ctx, projectID, caller); err != nil {
		return nil, false, err
	}
	items, err = s.repos.Members.List(ctx, projectID, after, limit+1)
	return page(items, limit, err)
}

// AddMember adds the user with the given email; owners only. An unknown
// email is NotFound (projects.user_not_found).
func (s *Service) AddMember(ctx context.Context, caller, projectID int64, in NewMember, idemKey string) (m dp.Member, replayed bool, err error) {
	if !in.Role.Valid() {
		return dp.Member{}, false, domain.Invalid(domain.FieldError{Field: "role", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "owner, member"}})
	}
	// Check the caller first so that only owners learn which emails exist.
	role, err := s.access(ctx, projectID, caller)
	if err != nil {
		return dp.Member{}, false, err
	}
	if err := allow(role, dp.RoleOwner); err != nil {
		return dp.Member{}, false, err
	}
	u, err := s.repos.Users.ByEmailKey(ctx, accounts.EmailKey(in.Email))
	if domain.IsKind(err, domain.KindNotFound) {
		return dp.Member{}, false, dp.ErrUserNotFound
	} else if err != nil {
		return dp.Member{}, false, err
	}
	now := s.now()
	var p dp.Project
	m, replayed, err = runCreate(ctx, s, caller, idemKey, fmt.Sprintf("member:%d", projectID), in, func(ctx context.Context, r ports.Repos) (dp.Member, error) {
		m := dp.Member{ProjectID: projectID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: in.Role, JoinedAt: now}
		var err error
		p, err = r.Projects.Update(ctx, projectID, func(p *dp.Project) error {
			roles, _, err := r.Members.Roles(ctx, projectID, caller, u.ID)
			if err != nil {
				return err
			}
			if err := allow(roles[caller], dp.RoleOwner); err != nil {
				return err
			}
			if roles[u.ID] != dp.RoleNone {
				return dp.ErrAlreadyMember
			}
			if err := r.Members.Add(ctx, m); err != nil {
				return err
			}
			p.Touch(now)
			return nil
		})
		return m, err
	})
	if err == nil && !replayed {
		s.cache.PutProject(ctx, p, map[int64]dp.Role{caller: dp.RoleOwner, u.ID: in.Role})
	}
	return m, replayed, err
}

// SetMemberRole changes a member's role; owners only. Demoting the last
// owner is ErrLastOwner.
func (s *Service) SetMemberRole(ctx context.Context, caller, projectID, userID int64, role dp.Role) (dp.Member, error) {
	if !role.Valid() {
		return dp.Member{}, domain.Invalid(domain.FieldError{Field: "role", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "owner, member"}})
	}
	now := s.now()
	var m dp.Member
	var callerRole dp.Role
	p, err := s.changeMembers(ctx, caller, projectID, userID, role, func(ctx context.Context, r ports.Repos, cr dp.Role) error {
		callerRole = cr
		if err := r.Members.SetRole(ctx, projectID, userID, role); err != nil {
			return err
		}
		var err error
		m, err = r.Members.Get(ctx, projectID, userID)
		return err
	}, now)
	if err != nil {
		return dp.Member{}, err
	}
	if caller == userID {
		callerRole = role
	}
	s.cache.PutProject(ctx, p, map[int64]dp.Role{caller: callerRole, userID: role})
	return m, nil
}

// RemoveMember removes a member; owners only. Removing the last owner is
// ErrLastOwner. Tasks assigned to the user keep the assignment as history.
func (s *Service) RemoveMember(ctx context.Context, caller, projectID, userID int64) error {
	now := s.now()
	p, err := s.changeMembers(ctx, caller, projectID, userID, dp.RoleNone, func(ctx context.Context, r ports.Repos, _ dp.Role) error {
		return r.Members.Remove(ctx, projectID, userID)
	}, now)
	if err != nil {
		return err
	}
	roles := map[int64]dp.Role{userID: dp.RoleNone}
	if caller != userID {
		roles[caller] = dp.RoleOwner
	}
	s.cache.PutProject(ctx, p, roles)
	return nil
}

// changeMembers runs a change of userID's membership to newRole (RoleNone:
// removal) under the project's row lock, which serialises membership changes
// of one project so two owners cannot demote each other at the same time.
func (s *Service) changeMembers(ctx context.Context, caller, projectID, userID int64, newRole dp.Role,
	change func(ctx context.Context, r ports.Repos, callerRole dp.Role) error, now time.Time) (dp.Project, error) {
	var p dp.Project
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		var err error
		p, err = r.Projects.Update(ctx, projectID, func(p *dp.Project) error {
			roles, owners, err := r.Members.Roles(ctx, projectID, caller, userID)
			if err != nil {
				return err
			}
			if err := allow(roles[caller], dp.RoleOwner); err != nil {
				return err
			}
			if roles[userID] == dp.RoleNone {
				return dp.ErrMemberNotFound
			}
			if err := dp.CheckRoleChange(owners, userID, newRole); err != nil {
				return err
			}
			if err := change(ctx, r, roles[caller]); err != nil {
				return err
			}
			if p.OwnerID == userID && newRole != dp.RoleOwner {
				// owner_id names an owner; hand it to the longest-standing other one.
				for _, o := range owners {
					if o != userID {
						p.OwnerID = o
						break
					}
				}
			}
			p.Touch(now)
			return nil
		})
		return err
	})
	return p, err
}

// ---- tasks ----

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

// ---- comments ----

// ListComments returns a page of a task's comments, oldest first, after the
// comment ID after.
func (s *Service) ListComments(ctx context.Context, caller, taskID, after int64, limit int) (items []dp.Comment, more bool, err error) {
	if limit, err = checkLimit(limit); err != nil {
		return nil, false, err
	}
	if _, _, err := s.taskAccess(ctx, caller, taskID); err != nil {
		return nil, false, err
	}
	items, err = s.repos.Comments.List(ctx, taskID, after, limit+1)
	return page(items, limit, err)
}

// AddComment adds a comment to a task; any member may.
func (s *Service) AddComment(ctx context.Context, caller, taskID int64, body, idemKey string) (c dp.Comment, replayed bool, err error) {
	now := s.now()
	c0, err := dp.NewComment(taskID, caller, body, now)
	if err != nil {
		return dp.Comment{}, false, err
	}
	return runCreate(ctx, s, caller, idemKey, fmt.Sprintf("comment:%d", taskID), body, func(ctx context.Context, r ports.Repos) (dp.Comment, error) {
		_, a, err := r.Tasks.ByIDForUser(ctx, taskID, caller)
		if err != nil {
			return dp.Comment{}, err
		}
		if a.Role == dp.RoleNone {
			return dp.Comment{}, domain.ErrNotFound
		}
		c := c0
		err = r.Comments.Create(ctx, &c)
		return c, err
	})
}

// PurgeIdempotencyKeys deletes remembered responses older than the TTL and
// returns how many; run it periodically (e.g. with clearsessions).
func (s *Service) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repos.Idempotency.Purge(ctx, s.now().Add(-s.ttl))
}

// ---- helpers ----

// access returns the caller's role in a project: from the cache, else from
// MySQL (refilling the cache). NotFound for non-members and absent projects.
func (s *Service) access(ctx context.Context, projectID, caller int64) (dp.Role, error) {
	if role, ok := s.cache.Role(ctx, projectID, caller); ok {
		if role == dp.RoleNone {
			return "", domain.ErrNotFound
		}
		return role, nil
	}
	v, err := s.GetProject(ctx, caller, projectID)
	return v.Role, err
}

// taskAccess returns a task the caller may see, with the caller's role.
func (s *Service) taskAccess(ctx context.Context, caller, id int64) (dp.Task, dp.Role, error) {
	if t, role, ok := s.cache.Task(ctx, id, caller); ok {
		if role == dp.RoleNone {
			return dp.Task{}, "", domain.ErrNotFound
		}
		return t, role, nil
	}
	t, a, err := s.repos.Tasks.ByIDForUser(ctx, id, caller)
	if err != nil {
		return dp.Task{}, "", err
	}
	s.cache.PutTask(ctx, t, a)
	if a.Role == dp.RoleNone {
		return dp.Task{}, "", domain.ErrNotFound
	}
	return t, a.Role, nil
}

// requireRole checks the caller's role inside a transaction.
func requireRole(ctx context.Context, r ports.Repos, projectID, caller int64, want dp.Role) error {
	roles, _, err := r.Members.Roles(ctx, projectID, caller)
	if err != nil {
		return err
	}
	return allow(roles[caller], want)
}

// allow maps a role to the contract's answers: non-members get NotFound
// (never a hint the project exists), members lacking the role Forbidden.
func allow(have, want dp.Role) error {
	switch {
	case have == dp.RoleNone:
		return domain.ErrNotFound
	case want == dp.RoleOwner && have != dp.RoleOwner:
		return domain.ErrForbidden
	}
	return nil
}

// versionMatches reports whether an If-Match list (nil: none given) accepts v.
func versionMatches(ifMatch []int64, v int64) bool {
	if ifMatch == nil {
		return true
	}
	for _, w := range ifMatch {
		if w == v {
			return true
		}
	}
	return false
}

func checkLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 1 || limit > MaxLimit:
		return 0, domain.Invalid(domain.FieldError{Field: "limit", Code: "range", Key: "projects.limit_range",
			Params: map[string]any{"min": 1, "max": MaxLimit}})
	}
	return limit, nil
}

// page trims a result fetched with limit+1 rows and tells whether there is more.
func page[T any](items []T, limit int, err error) ([]T, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

// runCreate runs a creating use case with optional idempotency. Without a
// key it is one transaction. With one, the record is stored in the same
// transaction right after the create: a concurrent twin's INSERT on the
// unique (user, key) index waits for the first transaction, then fails as a
// duplicate and rolls back its own create, and its request replays the
// stored response. Exactly one of them creates.
func runCreate[T any](ctx context.Context, s *Service, caller int64, key, op string, input any,
	create func(ctx context.Context, r ports.Repos) (T, error)) (T, bool, error) {
	var zero T
	if key == "" {
		var out T
		err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			var err error
			out, err = create(ctx, r)
			return err
		})
		return out, false, err
	}
	if err := checkKey(key); err != nil {
		return zero, false, err
	}
	in, err := json.Marshal(input)
	if err != nil {
		return zero, false, domain.Internal(err)
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), in...))
	fp := hex.EncodeToString(sum[:])
	for range 3 { // an expired record is deleted and the create retried
		now := s.now()
		var out T
		err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			var err error
			if out, err = create(ctx, r); err != nil {
				return err
			}
			body, err := json.Marshal(out)
			if err != nil {
				return domain.Internal(err)
			}
			return r.Idempotency.Save(ctx, ports.IdempotencyRecord{UserID: caller, Key: key, Fingerprint: fp, Response: body, CreatedAt: now})
		})
		if err == nil {
			return out, false, nil
		}
		// The create itself may fail because an earlier request with this
		// key succeeded (the same member added twice: 409): that is a retry
		// too, so any failure looks for a record before it is returned.
		used := errors.Is(err, dp.ErrIdempotencyKeyUsed)
		rec, gerr := s.repos.Idempotency.Get(ctx, caller, key)
		if !used && gerr != nil {
			return zero, false, err
		}
		err = gerr
		switch {
		case domain.IsKind(err, domain.KindNotFound):
			continue // purged between the two statements
		case err != nil:
			return zero, false, err
		case rec.CreatedAt.Before(now.Add(-s.ttl)):
			if err := s.repos.Idempotency.DeleteExpired(ctx, caller, key, now.Add(-s.ttl)); err != nil {
				return zero, false, err
			}
			continue
		case rec.Fingerprint != fp:
			return zero, false, dp.ErrIdempotencyMismatch
		}
		var v T
		if err := json.Unmarshal(rec.Response, &v); err != nil {
			return zero, false, domain.Internal(fmt.Errorf("idempotency record %q: %w", key, err))
		}
		return v, true, nil
	}
	return zero, false, domain.ErrConflict
}

func checkKey(key string) error {
	if len(key) > MaxIdempotencyKeyLen {
		return domain.Invalid(domain.FieldError{Field: "Idempotency-Key", Code: "max", Key: "validation.max",
			Params: map[string]any{"param": MaxIdempotencyKeyLen}})
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return domain.Invalid(domain.FieldError{Field: "Idempotency-Key", Code: "printascii", Key: "validation.printascii"})
		}
	}
	return nil
}

// noCache is the cache when none is configured: always a miss.
type noCache struct{}

func (noCache) Project(context.Context, int64, int64) (dp.Project, dp.Role, bool) {
	return dp.Project{}, "", false
}
func (noCache) Role(context.Context, int64, int64) (dp.Role, bool) { return "", false }
func (noCache) Task(context.Context, int64, int64) (dp.Task, dp.Role, bool) {
	return dp.Task{}, "", false
}
func (noCache) PutProject(context.Context, dp.Project, map[int64]dp.Role) {}
func (noCache) PutAccess(context.Context, ports.Access)                   {}
func (noCache) PutTask(context.Context, dp.Task, ports.Access)            {}
func (noCache) DropProject(context.Context, int64)                        {}
func (noCache) DropTask(context.Context, int64, int64)                    {}
