package accounts

import (
	"context"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// The operator's use cases behind `onit createsuperuser` and `onit
// changepassword` (Django's management commands of the same names). They
// trust their caller: whoever runs them already has the database.

// CreateSuperuser creates an active staff superuser. Profile rules always
// apply; the password validators apply unless skipValidation (Django's
// "Bypass password validation and create user anyway?"), but an empty
// password is refused either way: Onit has no unusable-password accounts
// to log in with some other way. Invalid lists every broken rule;
// ErrEmailTaken (Conflict) when the email is taken in any letter case. The
// user's language is the first supported one; they can change it later.
//
// Round-trips: one INSERT (plus one password hash).
func (s *Service) CreateSuperuser(ctx context.Context, email, name, pw string, skipValidation bool) (accounts.User, error) {
	u, err := accounts.NewUser(email, name, accounts.Languages[0], s.clock.Now())
	var fields []domain.FieldError
	if err != nil {
		de, ok := domain.As(err)
		if !ok {
			return accounts.User{}, err
		}
		fields = append(fields, de.Fields...)
	}
	fields = append(fields, s.adminPasswordErrors(pw, email, name, skipValidation)...)
	if len(fields) > 0 {
		return accounts.User{}, domain.Invalid(fields...)
	}
	hash, err := s.hash(ctx, pw)
	if err != nil {
		return accounts.User{}, err
	}
	u.PasswordHash = hash
	u.IsStaff, u.IsSuperuser = true, true
	if err := s.users.Create(ctx, &u); err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return accounts.User{}, accounts.ErrEmailTaken.Wrap(err)
		}
		return accounts.User{}, err
	}
	return u, nil
}

// SetPassword replaces the password of the user with that email without
// asking for the current one, and revokes every session of the user at
// once, as a reset by an operator should (Django lets them die lazily).
// It returns how many sessions were revoked. NotFound when no user has
// that email, decided before the password is looked at (so asking with an
// empty password tells whether the user exists and changes nothing);
// Invalid when the validators refuse the password (unless skipValidation)
// or it is empty.
//
// Round-trips: user by email (MySQL, 1), transaction (BEGIN, SELECT … FOR
// UPDATE, UPDATE, SELECT + DELETE of the sessions, COMMIT), and with local
// sessions the announcement (PUBLISH and invalidation log INSERT) so that
// no instance keeps serving them from memory.
func (s *Service) SetPassword(ctx context.Context, email, pw string, skipValidation bool) (revoked int, err error) {
	u, err := s.users.ByEmailKey(ctx, accounts.EmailKey(email))
	if err != nil {
		return 0, err
	}
	if fields := s.adminPasswordErrors(pw, u.Email, u.Name, skipValidation); len(fields) > 0 {
		return 0, domain.Invalid(fields...)
	}
	hash, err := s.hash(ctx, pw)
	if err != nil {
		return 0, err
	}
	var hashes []string
	err = s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if _, err := r.Users.Update(ctx, u.ID, func(cur *accounts.User) error {
			cur.PasswordHash = hash
			return nil
		}); err != nil {
			return err
		}
		var err error
		// No session to keep: the operator is not logged in as the user.
		hashes, err = r.Sessions.DeleteForUser(ctx, u.ID, "")
		return err
	})
	if err != nil {
		return 0, err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: hashes, Users: []int64{u.ID}}, true)
	return len(hashes), nil
}

// adminPasswordErrors is checkPassword, with the validators optional.
func (s *Service) adminPasswordErrors(pw, email, name string, skipValidation bool) []domain.FieldError {
	if skipValidation && pw != "" {
		return nil
	}
	return s.checkPassword("password", pw, email, name)
}
