package accounts

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// The staff console's use cases (what Django admin gave the old team, for
// users). Every one takes the acting user and answers NotFound unless that
// user is active staff, so the console is invisible to everyone else. Each
// action writes its audit entry in the same transaction as its change, so
// an entry exists exactly when the change committed; revocations then
// reach every instance as Logout's do (within a second).

// Paging of the console's lists.
const (
	StaffDefaultLimit = 50
	StaffMaxLimit     = 100
	// StaffProjectsShown bounds the projects a user's detail lists; the
	// count is always exact.
	StaffProjectsShown = 100
)

// staff is what the console needs beyond the core service.
type staff struct {
	dir      ports.StaffDirectory
	audit    ports.AuditLog
	projects ports.ProjectRepository
}

// UseStaffConsole enables the staff console. Call it before serving.
func (s *Service) UseStaffConsole(dir ports.StaffDirectory, audit ports.AuditLog, projects ports.ProjectRepository) {
	s.staff = &staff{dir: dir, audit: audit, projects: projects}
}

// StaffUser is one account as the console shows it.
type StaffUser struct {
	User accounts.User
	// Sessions counts the user's live sessions.
	Sessions int
	// ProjectCount counts every project the user is a member of; Projects
	// lists the newest StaffProjectsShown of them with the user's role.
	ProjectCount int
	Projects     []ports.ProjectWithRole
}

// checkStaff lets active staff through. Anyone else gets NotFound, the
// answer to a route that does not exist.
func (s *Service) checkStaff(actor accounts.User) error {
	if s.staff == nil {
		return domain.Internal(errStaffOff)
	}
	if !actor.IsStaff || !actor.CanLogIn() {
		return domain.ErrNotFound
	}
	return nil
}

func staffLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return StaffDefaultLimit, nil
	case limit < 1 || limit > StaffMaxLimit:
		return 0, domain.Invalid(domain.FieldError{Field: "limit", Code: "range", Key: "accounts.limit_range",
			Params: map[string]any{"min": 1, "max": StaffMaxLimit}})
	}
	return limit, nil
}

// SearchUsers finds users whose email or name contains query (every user
// when it is empty), by ascending ID after afterID, and tells whether more
// follow. Invalid when limit is out of range or the query is longer than
// an email can be.
// Round-trips: one SELECT.
func (s *Service) SearchUsers(ctx context.Context, actor accounts.User, query string, afterID int64, limit int) ([]accounts.User, bool, error) {
	if err := s.checkStaff(actor); err != nil {
		return nil, false, err
	}
	limit, err := staffLimit(limit)
	if err != nil {
		return nil, false, err
	}
	if utf8.RuneCountInString(query) > accounts.MaxEmailLength {
		return nil, false, domain.Invalid(domain.FieldError{Field: "q", Code: "max", Key: "accounts.email_too_long",
			Params: map[string]any{"max": accounts.MaxEmailLength}})
	}
	users, err := s.staff.dir.SearchUsers(ctx, query, afterID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	if len(users) > limit {
		return users[:limit], true, nil
	}
	return users, false, nil
}

// StaffUserDetail returns the user with their live sessions and projects.
// NotFound when the user does not exist.
// Round-trips: user, sessions, project count and projects (MySQL, 4).
func (s *Service) StaffUserDetail(ctx context.Context, actor accounts.User, userID int64) (StaffUser, error) {
	if err := s.checkStaff(actor); err != nil {
		return StaffUser{}, err
	}
	u, err := s.users.ByID(ctx, userID)
	if err != nil {
		return StaffUser{}, err
	}
	sessions, err := s.sessions.ListForUser(ctx, userID, s.clock.Now())
	if err != nil {
		return StaffUser{}, fmt.Errorf("list sessions of user %d: %w", userID, err)
	}
	n, err := s.staff.dir.CountProjects(ctx, userID)
	if err != nil {
		return StaffUser{}, fmt.Errorf("count projects of user %d: %w", userID, err)
	}
	projects, err := s.staff.projects.ListForUser(ctx, userID, 0, StaffProjectsShown)
	if err != nil {
		return StaffUser{}, fmt.Errorf("list projects of user %d: %w", userID, err)
	}
	return StaffUser{User: u, Sessions: len(sessions), ProjectCount: n, Projects: projects}, nil
}

// auditStep returns the unit-of-work step that appends the entry for actor
// doing action to target; it runs last in its transaction.
func (s *Service) auditStep(actor, target accounts.User, action accounts.AuditAction, message string) func(ctx context.Context, r ports.Repos) error {
	return func(ctx context.Context, r ports.Repos) error {
		e, err := accounts.NewAuditEntry(actor, target, action, message, s.clock.Now())
		if err != nil {
			return err
		}
		if err := r.Audit.Append(ctx, &e); err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
		return nil
	}
}

// DeactivateUser marks the user inactive and ends every session of
// theirs in one transaction with its audit entry (what `onit
// revokesessions --deactivate` does through RevokeUserSessions, which has
// no staff member to record), then announces the revocation to every
// instance. It returns how many sessions ended. ErrSelfDeactivate
// (Conflict) when actor and user are one; NotFound when the user does not
// exist. Deactivating an inactive user ends any sessions left and is
// recorded again.
// Round-trips: one transaction (SELECT … FOR UPDATE and UPDATE of the
// user, SELECT and DELETE of the sessions, INSERT of the entry) and the
// announcement.
func (s *Service) DeactivateUser(ctx context.Context, actor accounts.User, userID int64) (int, error) {
	if err := s.checkStaff(actor); err != nil {
		return 0, err
	}
	if actor.ID == userID {
		return 0, accounts.ErrSelfDeactivate
	}
	return s.staffRevoke(ctx, actor, userID, accounts.AuditDeactivate)
}

// RevokeUserSessionsAsStaff ends every session of the user, with its
// audit entry in the same transaction, and returns how many ended.
// NotFound when the user does not exist. Revoking one's own sessions is
// allowed: it is a logout everywhere.
func (s *Service) RevokeUserSessionsAsStaff(ctx context.Context, actor accounts.User, userID int64) (int, error) {
	if err := s.checkStaff(actor); err != nil {
		return 0, err
	}
	return s.staffRevoke(ctx, actor, userID, accounts.AuditRevokeSessions)
}

// staffRevoke is RevokeUserSessions with the audit entry in its
// transaction.
func (s *Service) staffRevoke(ctx context.Context, actor accounts.User, userID int64, action accounts.AuditAction) (int, error) {
	var hashes []string
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		var target accounts.User
		var err error
		if action == accounts.AuditDeactivate {
			target, err = r.Users.Update(ctx, userID, func(u *accounts.User) error {
				u.IsActive = false
				return nil
			})
		} else {
			target, err = r.Users.ByID(ctx, userID)
		}
		if err != nil {
			return err
		}
		hashes, err = r.Sessions.DeleteForUser(ctx, userID, "")
		if err != nil {
			return fmt.Errorf("delete sessions of user %d: %w", userID, err)
		}
		return s.auditStep(actor, target, action, fmt.Sprintf("%d sessions ended", len(hashes)))(ctx, r)
	})
	if err != nil {
		return 0, err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: hashes, Users: []int64{userID}}, true)
	return len(hashes), nil
}

// ReactivateUser lets the user log in again, with its audit entry in the
// same transaction. Their old sessions stay ended. NotFound when the user
// does not exist.
// Round-trips: one transaction (SELECT … FOR UPDATE, UPDATE, INSERT) and
// the announcement that the user changed.
func (s *Service) ReactivateUser(ctx context.Context, actor accounts.User, userID int64) error {
	if err := s.checkStaff(actor); err != nil {
		return err
	}
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		target, err := r.Users.Update(ctx, userID, func(u *accounts.User) error {
			u.IsActive = true
			return nil
		})
		if err != nil {
			return err
		}
		return s.auditStep(actor, target, accounts.AuditReactivate, "")(ctx, r)
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx, ports.Invalidation{Users: []int64{userID}}, false)
	return nil
}

// SendPasswordResetAsStaff emails the user a reset link in their
// language, through the same tokens and outbox as a reset they ask for
// themselves, with the audit entry in the same transaction. Unlike the
// public request it works for imported users without a usable password
// (that is how they get one). ErrResetInactive (Conflict) for an inactive
// user; NotFound when the user does not exist.
// Round-trips: user by ID (MySQL, 1) and one transaction (INSERT reset,
// INSERT outbox, INSERT entry).
func (s *Service) SendPasswordResetAsStaff(ctx context.Context, actor accounts.User, userID int64) error {
	if err := s.checkStaff(actor); err != nil {
		return err
	}
	if s.resets == nil {
		return domain.Internal(errResetsOff)
	}
	u, err := s.users.ByID(ctx, userID)
	if err != nil {
		return err
	}
	if !u.CanLogIn() {
		return accounts.ErrResetInactive
	}
	return s.sendPasswordReset(ctx, u, s.auditStep(actor, u, accounts.AuditPasswordReset, ""))
}

// StaffAuditLog returns one page of the audit log, newest first (one
// user's entries when targetID is set), and whether more follow.
// Invalid when limit is out of range.
// Round-trips: one SELECT.
func (s *Service) StaffAuditLog(ctx context.Context, actor accounts.User, targetID, beforeID int64, limit int) ([]accounts.AuditEntry, bool, error) {
	if err := s.checkStaff(actor); err != nil {
		return nil, false, err
	}
	limit, err := staffLimit(limit)
	if err != nil {
		return nil, false, err
	}
	entries, err := s.staff.audit.List(ctx, ports.AuditQuery{TargetID: targetID, BeforeID: beforeID, Limit: limit + 1})
	if err != nil {
		return nil, false, fmt.Errorf("list audit log: %w", err)
	}
	if len(entries) > limit {
		return entries[:limit], true, nil
	}
	return entries, false, nil
}

const errStaffOff = resetsError("accounts: the staff console is not configured")
