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
// nor its timing tells which emails exist. The attempt is counted first, on
// the account and on the client address, before anything is looked up
// (ErrThrottled with RetryAfter when either is exhausted): however many
// attempts run concurrently, at most the account's limit per window reach
// the hash. A success forgives the account's attempts, as a successful
// login resets django-axes' failures. The hash runs on the HashPool; when
// it is saturated, ErrHashBusy (503), decided before the password is looked
// at; when its queue is already full, before anything else (HashPool.Shed).
//
// Round-trips on success: throttle attempt (Redis, 1 pipeline), user by
// email (MySQL, 1), throttle reset (Redis, 1), last_login update (MySQL
// transaction: BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT), session INSERT
// (MySQL, 1), and with local sessions the announcement (one PUBLISH and one
// INSERT into the invalidation log): last_login is part of the user that
// other sessions' local copies serve (GET /me and its ETag), so they must
// reload it.
func (s *Service) Login(ctx context.Context, in LoginInput) (Login, error) {
	if err := s.pool.Shed(); err != nil {
		return Login{}, err
	}
	key := accounts.EmailKey(in.Email)
	account := s.accountCounter(key)
	if err := s.attempt(ctx, accounts.ErrThrottled, account, s.loginClientCounter(in.ClientAddr)); err != nil {
		return Login{}, err
	}

	u, err := s.users.ByEmailKey(ctx, key)
	found := err == nil
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return Login{}, err
	}
	var ok, rehash bool
	err = s.pool.Do(ctx, func() {
		if !found {
			// Spend the same hash as a real check would; the verdict is known.
			s.hasher.Verify(in.Password, "")
			return
		}
		ok, rehash = s.hasher.Verify(in.Password, u.PasswordHash)
	})
	if err != nil {
		return Login{}, err
	}
	if !found || !ok || !u.CanLogIn() {
		return Login{}, accounts.ErrBadCredentials
	}
	s.forgive(ctx, account)

	// Hash outside the row lock: it is slow on purpose.
	var newHash string
	if rehash {
		if newHash, err = s.hash(ctx, in.Password); err != nil {
			s.log.WarnContext(ctx, "password re-hash skipped; keeping the old hash", "user_id", u.ID, "err", err)
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
	return Login{Token: token, Session: sess, User: u}, nil
}

// hash encodes a new password on the pool. ErrHashBusy when the pool is
// saturated; Internal when the hasher fails.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var h string
	var herr error
	if err := s.pool.Do(ctx, func() { h, herr = s.hasher.Hash(password) }); err != nil {
		return "", err
	}
	if herr != nil {
		return "", domain.Internal(herr)
	}
	return h, nil
}
