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
// ONIT_SESSION_LOCAL_CACHE_TTL or evicted, its user changed, or the instance
// cannot hear revocations right now):
// cache GET (Redis, 1) + user by ID (MySQL, 1) on a Redis hit; on a Redis
// miss or error: cache GET, session by hash (MySQL), cache SET, session by
// hash again (see sessionFromRepo), user by ID. Unknown and revoked tokens
// are never cached locally, so they always take the slow path.
func (s *Service) Authenticate(ctx context.Context, token string) (accounts.User, accounts.Session, error) {
	if token == "" {
		return accounts.User{}, accounts.Session{}, accounts.ErrSessionInvalid
	}
	hash := accounts.HashToken(token)
	now := s.clock.Now()

	var ticket uint64
	if s.local != nil {
		if sess, u, ok := s.local.Get(hash); ok && !sess.Expired(now) && u.CanLogIn() {
			s.activity.seen(hash, now)
			return u, sess, nil
		}
		// Taken before any read below, so that a revocation arriving while
		// we read refuses our Put (see ports.LocalSessionCache).
		ticket = s.local.Ticket()
	}

	sess, hit, err := s.cache.Get(ctx, hash)
	if err != nil {
		s.log.WarnContext(ctx, "session cache get failed; reading the database", "err", err)
		hit = false
	}
	if !hit {
		if sess, err = s.sessionFromRepo(ctx, hash); err != nil {
			return accounts.User{}, accounts.Session{}, err
		}
	}
	if sess.Expired(now) {
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
	s.activity.seen(hash, now)
	return u, sess, nil
}

// sessionFromRepo reads the truth and refills the cache. A revocation may
// run between our read and our SET, and its cache DELETE may land before
// the SET: the revoked session would then live in the cache until expiry.
// Reading the row again after the SET closes that race: either the
// revocation's DELETE comes after our SET, or its row delete is visible to
// our second read. Misses are rare (first request after login is a hit), so
// the extra query is cheap.
func (s *Service) sessionFromRepo(ctx context.Context, hash string) (accounts.Session, error) {
	sess, err := s.sessions.ByHash(ctx, hash)
	if domain.IsKind(err, domain.KindNotFound) {
		return accounts.Session{}, accounts.ErrSessionInvalid
	}
	if err != nil {
		return accounts.Session{}, err
	}
	if sess.Expired(s.clock.Now()) {
		return accounts.Session{}, accounts.ErrSessionInvalid
	}
	if err := s.cache.Set(ctx, sess); err != nil {
		// Nothing was cached, so there is no race to close.
		s.log.WarnContext(ctx, "session cache set failed", "err", err)
		return sess, nil
	}
	if _, err := s.sessions.ByHash(ctx, hash); err != nil {
		s.dropCached(ctx, hash)
		if domain.IsKind(err, domain.KindNotFound) {
			return accounts.Session{}, accounts.ErrSessionInvalid
		}
		return accounts.Session{}, err
	}
	return sess, nil
}

func (s *Service) dropCached(ctx context.Context, hashes ...string) {
	if len(hashes) == 0 {
		return
	}
	if err := s.cache.Delete(ctx, hashes...); err != nil {
		// The rows are gone, but a reachable-again cache could still serve
		// these sessions until they expire: worth an operator's attention.
		s.log.ErrorContext(ctx, "session cache delete failed; revoked sessions may linger in the cache",
			"sessions", len(hashes), "err", err)
	}
}

// invalidate drops what inv names from this instance's local copies and
// announces it to the other instances. It runs after the truth changed
// (the MySQL commit, and for sessions after dropCached), so an instance
// that reloads on hearing it reads the new state. A failed announcement
// fails nothing: the publisher retries it, and instances that cannot hear
// stop trusting their copies (see ports.Revocations). urgent marks a
// revocation (sessions that must stop working), logged at error when it
// cannot be sent now; a user's profile change is logged at warn.
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
		s.log.Log(ctx, level, "session invalidation not published yet; other instances may serve it until it is",
			"sessions", len(inv.Sessions), "users", len(inv.Users), "err", err)
	}
}

// Logout revokes one session in the database, the cache and every
// instance's local copy.
// Round-trips: DELETE (MySQL, 1) + SET tombstone (Redis, 1), and with local
// sessions one PUBLISH (Redis, 1).
func (s *Service) Logout(ctx context.Context, sessionHash string) error {
	if err := s.sessions.Delete(ctx, sessionHash); err != nil {
		return err
	}
	s.dropCached(ctx, sessionHash)
	s.invalidate(ctx, ports.Invalidation{Sessions: []string{sessionHash}}, true)
	return nil
}

// ClearExpiredSessions deletes the rows of expired sessions (Django's
// clearsessions) and returns how many. Their cache entries expire by
// themselves. Round-trips: one DELETE.
func (s *Service) ClearExpiredSessions(ctx context.Context) (int64, error) {
	n, err := s.sessions.DeleteExpired(ctx, s.clock.Now())
	if err != nil {
		return 0, err
	}
	return n, nil
}
