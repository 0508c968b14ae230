package projects

import (
	"context"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

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
	ticket := s.cache.Ticket()
	t, a, err := s.repos.Tasks.ByIDForUser(ctx, id, caller)
	if err != nil {
		return dp.Task{}, "", err
	}
	s.cache.PutTask(ctx, ticket, t, a)
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

// guardVersion is the version a conditional delete must still find: the
// one read (which versionMatches accepted) when If-Match was given, 0 (any)
// when it was not.
func guardVersion(ifMatch []int64, read int64) int64 {
	if ifMatch == nil {
		return 0
	}
	return read
}
