package accounts

import (
	"context"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/password"
	"github.com/onitapp/onit/ports"
)

// checkPassword runs the validators against the profile the password
// belongs to. Django's forms require the field before validating it, so an
// empty password is reported only as required.
func (s *Service) checkPassword(field, pw, email, name string) []domain.FieldError {
	if pw == "" {
		return []domain.FieldError{{Field: field, Code: "required", Key: "accounts.password_required"}}
	}
	errs := s.cfg.Policy.Validate(pw,
		password.Attribute{Name: "email", Value: accounts.NormalizeEmail(email)},
		password.Attribute{Name: "name", Value: name})
	for i := range errs {
		errs[i].Field = field
	}
	return errs
}

// UpdateMe is a partial profile change; nil fields stay as they are.
type UpdateMe struct {
	Name     *string
	Language *string
	// Precondition, when set, is asked about the current user under the
	// row lock; false aborts with PreconditionFailed. The HTTP adapter uses
	// it for If-Match, so the check and the write cannot interleave with
	// another change.
	Precondition func(current accounts.User) bool
}

// UpdateMe changes the caller's name and language. Invalid lists every
// broken rule; NotFound when the user vanished meanwhile; PreconditionFailed
// when in.Precondition refuses the current state.
// The user's local copies on every instance are dropped, so the next
// request of any of their sessions sees the new name and language.
// Round-trips: one transaction (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT),
// and with local sessions one PUBLISH (Redis, 1).
func (s *Service) UpdateMe(ctx context.Context, userID int64, in UpdateMe) (accounts.User, error) {
	u, err := s.updateMe(ctx, userID, in)
	if err != nil {
		return accounts.User{}, err
	}
	s.invalidate(ctx, ports.Invalidation{Users: []int64{userID}}, false)
	return u, nil
}

func (s *Service) updateMe(ctx context.Context, userID int64, in UpdateMe) (accounts.User, error) {
	return s.users.Update(ctx, userID, func(u *accounts.User) error {
		if in.Precondition != nil && !in.Precondition(*u) {
			return domain.ErrPreconditionFailed
		}
		var fields []domain.FieldError
		collect := func(err error) error {
			if err == nil {
				return nil
			}
			de, ok := domain.As(err)
			if !ok || de.Kind != domain.KindInvalid {
				return err
			}
			fields = append(fields, de.Fields...)
			return nil
		}
		if in.Name != nil {
			if err := collect(u.Rename(*in.Name)); err != nil {
				return err
			}
		}
		if in.Language != nil {
			if err := collect(u.SetLanguage(*in.Language)); err != nil {
				return err
			}
		}
		if len(fields) > 0 {
			return domain.Invalid(fields...)
		}
		return nil
	})
}

// ChangePasswordInput is a password change by a logged-in user from one of
// their sessions, which survives it.
type ChangePasswordInput struct {
	UserID          int64
	KeepSessionHash string
	CurrentPassword string
	NewPassword     string
}

// ChangePassword checks the current password and the validators (one
// Invalid error lists a wrong current password and every failed rule), then
// in one transaction stores the new hash and deletes every other session of
// the user, and finally drops those sessions from every instance's local
// copy, with the user. Unlike Django, which lets them die
// lazily on their next request, they stop working now.
//
// Round-trips: user by ID (MySQL, 1), throttle attempt (Redis, 1
// pipeline) and on success its reset (Redis, 1), transaction (BEGIN, SELECT
// … FOR UPDATE, UPDATE, SELECT + DELETE of the other sessions, COMMIT), and
// with local sessions the announcement (PUBLISH and invalidation log INSERT).
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	u, err := s.users.ByID(ctx, in.UserID)
	if err != nil {
		return err
	}
	var fields []domain.FieldError
	if in.CurrentPassword == "" {
		fields = append(fields, domain.FieldError{Field: "current_password", Code: "required", Key: "accounts.password_required"})
	} else {
		ok, err := s.checkCurrentPassword(ctx, u, in.CurrentPassword)
		if err != nil {
			return err
		}
		if !ok {
			fields = append(fields, domain.FieldError{Field: "current_password", Code: "password_incorrect", Key: "accounts.password_incorrect"})
		}
	}
	fields = append(fields, s.checkPassword("new_password", in.NewPassword, u.Email, u.Name)...)
	if len(fields) > 0 {
		return domain.Invalid(fields...)
	}
	hash, err := s.hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}

	var revoked []string
	err = s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if _, err := r.Users.Update(ctx, in.UserID, func(cur *accounts.User) error {
			// Verified against the hash we read; a change in between (another
			// session changing it) must not be overwritten blindly.
			if cur.PasswordHash != u.PasswordHash {
				return domain.ErrConflict
			}
			cur.PasswordHash = hash
			return nil
		}); err != nil {
			return err
		}
		var err error
		revoked, err = r.Sessions.DeleteForUser(ctx, in.UserID, in.KeepSessionHash)
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: revoked, Users: []int64{in.UserID}}, true)
	return nil
}

// checkCurrentPassword verifies a password change's current password
// against the account's login budget: the check is counted on the same
// counter as logins before the hash (ErrPasswordThrottled beyond the
// limit), so whoever holds a session cannot guess faster than a login
// could, and a right password forgives, as a login does.
func (s *Service) checkCurrentPassword(ctx context.Context, u accounts.User, pw string) (bool, error) {
	account := s.accountCounter(u.EmailKey)
	if err := s.attempt(ctx, accounts.ErrPasswordThrottled, account); err != nil {
		return false, err
	}
	var ok bool
	if err := s.pool.Do(ctx, func() { ok, _ = s.hasher.Verify(pw, u.PasswordHash) }); err != nil {
		return false, err
	}
	if ok {
		s.forgive(ctx, account)
	}
	return ok, nil
}

// PasswordRules lists the enabled validators' help texts for the frontend.
func (s *Service) PasswordRules() []password.Rule { return s.cfg.Policy.Rules() }
