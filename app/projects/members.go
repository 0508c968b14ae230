package projects

import (
	"context"
	"fmt"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

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
	// A malformed address is a field error, not an unknown user (404):
	// the form can say what is wrong with it.
	if fields := accounts.CheckEmail(in.Email); len(fields) > 0 {
		return dp.Member{}, false, domain.Invalid(fields...)
	}
	// Check the caller first so that only owners learn which emails exist:
	// against MySQL, as every write does (a stale cached role must not
	// tell a former owner which emails have accounts).
	roles, _, err := s.repos.Members.Roles(ctx, projectID, caller)
	if err != nil {
		return dp.Member{}, false, err
	}
	if err := allow(roles[caller], dp.RoleOwner); err != nil {
		return dp.Member{}, false, err
	}
	u, err := s.repos.Users.ByEmailKey(ctx, accounts.EmailKey(in.Email))
	if domain.IsKind(err, domain.KindNotFound) {
		return dp.Member{}, false, dp.ErrUserNotFound
	} else if err != nil {
		return dp.Member{}, false, err
	}
	now := s.now()
	ticket := s.cache.Ticket()
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
		s.cache.PutProject(ctx, ticket, p, map[int64]dp.Role{caller: dp.RoleOwner, u.ID: in.Role})
		s.announce(ctx, ports.Invalidation{Projects: []ports.ObjectVersion{{ID: p.ID, Version: p.Version}}})
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
	ticket := s.cache.Ticket()
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
	s.cache.PutProject(ctx, ticket, p, map[int64]dp.Role{caller: callerRole, userID: role})
	s.announce(ctx, ports.Invalidation{Projects: []ports.ObjectVersion{{ID: p.ID, Version: p.Version}}})
	return m, nil
}

// RemoveMember removes a member: owners remove anyone, and any member
// may remove themselves (leave the project). Removing the last owner is
// ErrLastOwner. In the same transaction the user's tasks in the project
// are unassigned: they could no longer see them.
func (s *Service) RemoveMember(ctx context.Context, caller, projectID, userID int64) error {
	now := s.now()
	ticket := s.cache.Ticket()
	var unassigned []dp.Task
	p, err := s.changeMembers(ctx, caller, projectID, userID, dp.RoleNone, func(ctx context.Context, r ports.Repos, _ dp.Role) error {
		if err := r.Members.Remove(ctx, projectID, userID); err != nil {
			return err
		}
		var err error
		unassigned, err = unassignAll(ctx, r, projectID, userID, now)
		return err
	}, now)
	if err != nil {
		return err
	}
	inv := ports.Invalidation{Projects: []ports.ObjectVersion{{ID: p.ID, Version: p.Version}}}
	for _, t := range unassigned {
		s.cache.PutTask(ctx, ticket, t, ports.Access{})
		inv.Tasks = append(inv.Tasks, ports.ObjectVersion{ID: t.ID, Version: t.Version})
	}
	roles := map[int64]dp.Role{userID: dp.RoleNone}
	if caller != userID {
		roles[caller] = dp.RoleOwner
	}
	s.cache.PutProject(ctx, ticket, p, roles)
	s.announce(ctx, inv)
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
			leaving := caller == userID && newRole == dp.RoleNone && roles[caller] != dp.RoleNone
			if !leaving {
				if err := allow(roles[caller], dp.RoleOwner); err != nil {
					return err
				}
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

// unassignAll clears the assignee of every task of the project assigned
// to userID, each as a task change (new version, updated_at now).
func unassignAll(ctx context.Context, r ports.Repos, projectID, userID int64, now time.Time) ([]dp.Task, error) {
	ids, err := r.Tasks.AssignedTo(ctx, projectID, userID)
	if err != nil {
		return nil, err
	}
	out := make([]dp.Task, 0, len(ids))
	for _, id := range ids {
		t, err := r.Tasks.Update(ctx, id, func(t *dp.Task) error {
			return t.Apply(dp.TaskChanges{SetAssignee: true}, now)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
