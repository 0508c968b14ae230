package accounts

import (
	"context"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// RegisterInput is a sign-up request from a client address. Language is
// already resolved by the caller (the body's value, else the negotiated
// language).
type RegisterInput struct {
	Email      string
	Password   string
	Name       string
	Language   string
	ClientAddr string
}

// Register creates an active user. Every broken rule, on the profile fields
// and from the password validators, is reported in one Invalid error;
// ErrEmailTaken (Conflict) when the email is taken in any letter case. The
// database's unique index decides, so two concurrent sign-ups for the same
// address give one user and one conflict.
//
// Every attempt is counted per client address first
// (ErrRegisterThrottled with RetryAfter beyond the limit): a 409 tells
// whether an email is registered, and each try costs a full hash.
//
// Round-trips: throttle attempt (Redis, 1 pipeline), one INSERT (plus one
// deliberate full password hash on the HashPool).
func (s *Service) Register(ctx context.Context, in RegisterInput) (accounts.User, error) {
	if err := s.attempt(ctx, accounts.ErrRegisterThrottled, s.registerClientCounter(in.ClientAddr)); err != nil {
		return accounts.User{}, err
	}
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
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return accounts.User{}, err
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
