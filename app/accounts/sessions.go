package accounts

import (
	"context"
	"log/slog"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// Authenticate resolves a token to its live session and user.
// ErrSessionInvalid (Unauthenticated) when the token is unknown, revoked or
// expired, or the user was deleted or deactivated.
//
// Round-trips: a session known to this instance (local cache hit): none.
// Otherwise (first request on this instance, local entry expired after
// ONIT_SESSION_LOCAL_CACHE_TTL or evicted, its user changed, or the
// instance cannot be sure it hears revocations right now): session by hash
// and user by ID (MySQL, 2), no Redis. The truth is read on every miss, so
// a revocation is refused by every instance as soon as it committed and
// its announcement reached the instance's local cache (see
// ports.Revocations). Unknown and revoked tokens are never cached locally,
// so they always take the slow path.
func (s *Service) Authenticate(ctx context.Context, token string) (accounts.User, accounts.Session, error) {
	if token == "" {
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	}
	hash := accounts.HashToken(token)
	now := s.clock.Now()

	var ticket uint64
	if s.local != nil {
		if sess, u, ok := s.local.Get(hash); ok && !sess.Expired(now) && u.CanLogIn() {
			return u, sess, nil
		}
		// Taken before any read below, so that a revocation arriving while
		// we read refuses our Put (see ports.LocalSessionCache).
		ticket = s.local.Ticket()
	}

	sess, err := s.sessions.ByHash(ctx, hash)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	case err != nil:
		return accounts.User{}, accounts.Session{}, err
	case sess.Expired(now):
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	}
	u, err := s.users.ByID(ctx, sess.UserID)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	case err != nil:
		return accounts.User{}, accounts.Session{}, err
	case !u.CanLogIn():
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	}
	if s.local != nil {
		s.local.Put(ticket, sess, u)
	}
	return u, sess, nil
}

// invalidate drops what inv names from this instance's local copies and
// announces it to the other instances. It runs after the truth changed
// (the MySQL commit), so an instance that reloads on hearing it reads the
// new state. A failed announcement fails nothing: the publishers retry it,
// and instances that cannot hear stop trusting their copies (see
// ports.Revocations). urgent marks a revocation (sessions that must stop
// working), logged at error when it cannot be sent now; a user's profile
// change is logged at warn.
func (s *Service) invalidate(ctx context.Context, inv ports.Invalidation, urgent bool) {
	if s.local == nil || len(inv.Sessions)+len(inv.Users) == 0 {
		return
	}
	s.local.Invalidate(inv)
	if err := s.revs.Publish(ctx, inv); err != nil {
		level := slog.LevelWarn
		if urgent {
			level = slog.LevelError
		}
		s.log.Log(ctx, level, "session invalidation not published yet; retrying in the background",
			"sessions", len(inv.Sessions), "users", len(inv.Users), "err", err)
	}
}

// Logout revokes one session in the database and every instance's local
// copy. Round-trips: DELETE (MySQL, 1), and with local sessions the
// announcement (one PUBLISH, one INSERT into the invalidation log).
func (s *Service) Logout(ctx context.Context, sessionHash string) error {
	if err := s.sessions.Delete(ctx, sessionHash); err != nil {
		return err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: []string{sessionHash}}, true)
	return nil
}

// The revocation use cases below are the building blocks of a "your
// sessions" page and of a staff console. Each one deletes the sessions'
// rows first (the truth) and then announces them, like Logout: once it has
// returned, every instance refuses the sessions within a second, whether
// or not Redis accepted the announcement (the MySQL invalidation log
// carries it too). None of them checks who is asking; the caller
// (handler, command) decides who may.

// RevokeSession ends one of the user's sessions, identified by its token
// hash (Session.TokenHash; the token itself is never stored). NotFound
// when the user has no such session, so one user cannot end another's.
// Round-trips: SELECT and DELETE (MySQL, 2) and the announcement.
func (s *Service) RevokeSession(ctx context.Context, userID int64, sessionHash string) error {
	sess, err := s.sessions.ByHash(ctx, sessionHash)
	if err != nil {
		return err
	}
	if sess.UserID != userID {
		return domain.ErrNotFound
	}
	return s.Logout(ctx, sessionHash)
}

// RevokeOtherSessions ends every session of the user except keepHash (the
// caller's own: "log out everywhere else") and returns how many ended.
// Round-trips: one transaction (SELECT … FOR UPDATE, DELETE) and the
// announcement.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID int64, keepHash string) (int, error) {
	hashes, err := s.sessions.DeleteForUser(ctx, userID, keepHash)
	if err != nil {
		return 0, err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: hashes}, true)
	return len(hashes), nil
}

// RevokeAllSessions ends every session of the user, the caller's own
// included, and returns how many ended.
func (s *Service) RevokeAllSessions(ctx context.Context, userID int64) (int, error) {
	return s.RevokeOtherSessions(ctx, userID, "")
}

// RevokeUserSessions is the staff revocation: it ends every session of
// the user and, with deactivate, also marks the user inactive in the same
// transaction, so no new login can start in between. It returns how many
// sessions ended. NotFound when the user does not exist.
// Round-trips: one transaction (SELECT … FOR UPDATE and UPDATE of the
// user when deactivating, SELECT … FOR UPDATE and DELETE of the sessions)
// and the announcement, which names the user too so that other instances
// reload it.
func (s *Service) RevokeUserSessions(ctx context.Context, userID int64, deactivate bool) (int, error) {
	var hashes []string
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if deactivate {
			if _, err := r.Users.Update(ctx, userID, func(u *accounts.User) error {
				u.IsActive = false
				return nil
			}); err != nil {
				return err
			}
		} else if _, err := r.Users.ByID(ctx, userID); err != nil {
			return err
		}
		var err error
		hashes, err = r.Sessions.DeleteForUser(ctx, userID, "")
		return err
	})
	if err != nil {
		return 0, err
	}
	s.invalidate(ctx, ports.Invalidation{Sessions: hashes, Users: []int64{userID}}, true)
	return len(hashes), nil
}

// RevokeUserSessionsByEmail is RevokeUserSessions for the user with that
// email (`onit revokesessions`). NotFound when no user has it.
func (s *Service) RevokeUserSessionsByEmail(ctx context.Context, email string, deactivate bool) (int, error) {
	u, err := s.users.ByEmailKey(ctx, accounts.EmailKey(email))
	if err != nil {
		return 0, err
	}
	return s.RevokeUserSessions(ctx, u.ID, deactivate)
}

// ClearExpiredSessions deletes the rows of expired sessions (Django's
// clearsessions) and returns how many. Round-trips: one DELETE per batch.
func (s *Service) ClearExpiredSessions(ctx context.Context) (int64, error) {
	n, err := s.sessions.DeleteExpired(ctx, s.clock.Now())
	if err != nil {
		return 0, err
	}
	return n, nil
}
