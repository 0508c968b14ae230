package accounts

import (
	"context"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// LoginInput is a login attempt from a client address.
type LoginInput struct {
	Email      string
	Password   string
	ClientAddr string
	UserAgent  string // the User-Agent header; only a summary is kept
}

// Login is a successful login: the token is handed to the client once and
// never stored.
type Login struct {
	Token   string
	Session accounts.Session
	User    accounts.User
}

// Login checks the credentials and starts a session.
//
// An unknown email, a wrong password and an inactive user all give
// ErrBadCredentials after one full password hash each, so neither the answer
// nor its timing tells which emails exist. The throttle is asked first
// (ErrThrottled with RetryAfter); when it fails it lets the attempt through
// and the outage is logged, so a Redis outage never locks people out.
//
// Round-trips on success: throttle check (Redis, 1), user by email (MySQL, 1),
// last_login update (MySQL transaction: BEGIN, SELECT … FOR UPDATE, UPDATE,
// COMMIT), session INSERT (MySQL, 1), cache SET (Redis, 1), throttle reset
// (Redis, 1), and with local sessions one PUBLISH (Redis, 1): last_login is
// part of the user that other sessions' local copies serve (GET /me and its
// ETag), so they must reload it.
func (s *Service) Login(ctx context.Context, in LoginInput) (Login, error) {
	key := accounts.EmailKey(in.Email)
	wait, err := s.throttle.Check(ctx, key, in.ClientAddr)
	if err != nil {
		s.log.WarnContext(ctx, "login throttle unavailable; allowing the attempt", "err", err)
	}
	if wait > 0 {
		e := accounts.ErrThrottled.Wrap(err)
		e.RetryAfter = wait
		return Login{}, e
	}

	u, err := s.users.ByEmailKey(ctx, key)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		// Spend the same hash as a real check would; the verdict is known.
		s.hasher.Verify(in.Password, "")
		s.failed(ctx, key)
		return Login{}, accounts.ErrBadCredentials
	case err != nil:
		return Login{}, err
	}
	ok, rehash := s.hasher.Verify(in.Password, u.PasswordHash)
	if !ok || !u.CanLogIn() {
		s.failed(ctx, key)
		return Login{}, accounts.ErrBadCredentials
	}
	if err := s.throttle.Succeeded(ctx, key); err != nil {
		s.log.WarnContext(ctx, "login throttle reset failed", "err", err)
	}

	// Hash outside the row lock: it is slow on purpose.
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(in.Password); err != nil {
			s.log.WarnContext(ctx, "password re-hash failed; keeping the old hash", "user_id", u.ID, "err", err)
			newHash = ""
		}
	}
	now := s.clock.Now().UTC()
	oldHash := u.PasswordHash
	u, err = s.users.Update(ctx, u.ID, func(u *accounts.User) error {
		// A password changed since we verified wins over our upgrade.
		if newHash != "" && u.PasswordHash == oldHash {
			u.PasswordHash = newHash
		}
		u.LastLogin = &now
		return nil
	})
	if err != nil {
		return Login{}, err
	}
	s.invalidate(ctx, ports.Invalidation{Users: []int64{u.ID}}, false)

	token, err := s.random.Token(accounts.TokenBytes)
	if err != nil {
		return Login{}, domain.Internal(err)
	}
	sess := accounts.NewSession(token, u.ID, now, s.cfg.SessionAge)
	sess.UserAgent = accounts.SummarizeUserAgent(in.UserAgent)
	sess.ClientAddr = accounts.TruncateAddr(in.ClientAddr)
	if err := s.sessions.Create(ctx, sess); err != nil {
		return Login{}, err
	}
	if err := s.cache.Set(ctx, sess); err != nil {
		s.log.WarnContext(ctx, "session cache set failed", "err", err)
	}
	return Login{Token: token, Session: sess, User: u}, nil
}

func (s *Service) failed(ctx context.Context, key string) {
	if err := s.throttle.Failed(ctx, key); err != nil {
		s.log.WarnContext(ctx, "login throttle record failed", "err", err)
	}
}
