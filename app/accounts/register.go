package accounts

import (
	"context"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// RegisterInput is a sign-up request. Language is already resolved by the
// caller (the body's value, else the negotiated language).
type RegisterInput struct {
	Email    string
	Password string
	Name     string
	Language string
}

// Register creates an active user. Every broken rule, on the profile fields
// and from the password validators, is reported in one Invalid error;
// ErrEmailTaken (Conflict) when the email is taken in any letter case. The
// database's unique index decides, so two concurrent sign-ups for the same
// address give one user and one conflict.
//
// Round-trips: one INSERT (plus one deliberate full password hash).
func (s *Service) Register(ctx context.Context, in RegisterInput) (accounts.User, error) {
	u, err := accounts.NewUser(in.Email, in.Name, in.Language, s.clock.Now())
	var fields []domain.FieldError
	if err != nil {
		de, ok := domain.As(err)
		if !ok {
			return accounts.User{}, err
		}
		fields = append(fields, de.Fields...)
	}
	fields = append(fields, s.checkPassword("password", in.Password, in.Email, in.Name)...)
	if len(fields) > 0 {
		return accounts.User{}, domain.Invalid(fields...)
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return accounts.User{}, domain.Internal(err)
	}
	u.PasswordHash = hash
	if err := s.users.Create(ctx, &u); err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return accounts.User{}, accounts.ErrEmailTaken.Wrap(err)
		}
		return accounts.User{}, err
	}
	return u, nil
}
