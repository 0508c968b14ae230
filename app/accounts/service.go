// Package accounts holds the accounts use cases: registration, login
// sessions, the caller's profile and password.
//
// Sessions follow Django's cached_db: the SessionRepository (MySQL) is the
// truth and the SessionCache (Redis) a copy, so a cache outage or flush
// logs nobody out and costs only round-trips. In front of both, each
// instance may keep a LocalSessionCache of sessions with their users, which
// makes authenticating a known session free of round trips; every change
// that makes such a copy wrong (logout, password change, any change to the
// user) is announced to all instances through Revocations. Comments on each
// method count the round-trips of the happy path.
package accounts

import (
	"context"
	"log/slog"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/password"
	"github.com/onitapp/onit/ports"
)

// Config is what the service needs from the settings, as plain values so
// the core never sees the env package.
type Config struct {
	// SessionAge is how long a session lasts from login (not sliding).
	SessionAge time.Duration
	// Policy holds the enabled password validators and their options.
	Policy password.Policy
}

// Service implements the accounts use cases over the ports.
type Service struct {
	cfg      Config
	users    ports.UserRepository
	sessions ports.SessionRepository
	cache    ports.SessionCache
	throttle ports.LoginThrottle
	hasher   ports.PasswordHasher
	uow      ports.UnitOfWork
	clock    ports.Clock
	random   ports.Random
	log      *slog.Logger

	local ports.LocalSessionCache // nil: no instance-local copies
	revs  ports.Revocations       // set together with local
}

// New builds the service. The unit of work is needed only by ChangePassword,
// which changes a user and that user's sessions together. A nil log discards.
func New(cfg Config, users ports.UserRepository, sessions ports.SessionRepository,
	cache ports.SessionCache, throttle ports.LoginThrottle, hasher ports.PasswordHasher,
	uow ports.UnitOfWork, clock ports.Clock, random ports.Random, log *slog.Logger,
) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, users: users, sessions: sessions, cache: cache, throttle: throttle,
		hasher: hasher, uow: uow, clock: clock, random: random, log: log}
}

// UseLocalSessions puts an instance-local cache of sessions and users in
// front of the session cache, with the revocations that keep every
// instance's copy true. Call it before serving: it is not synchronised with
// requests. Without it, every authentication reads Redis and MySQL.
func (s *Service) UseLocalSessions(local ports.LocalSessionCache, revs ports.Revocations) {
	s.local, s.revs = local, revs
}

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

// LoginInput is a login attempt from a client address.
type LoginInput struct {
	Email      string
	Password   string
	ClientAddr string
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
// the user, and finally drops those sessions from the cache and from every
// instance's local copy, with the user. Unlike Django, which lets them die
// lazily on their next request, they stop working now.
//
// Round-trips: user by ID (MySQL, 1), transaction (BEGIN, SELECT … FOR
// UPDATE, UPDATE, SELECT + DELETE of the other sessions, COMMIT), tombstones
// (Redis, 1 pipeline), and with local sessions one PUBLISH (Redis, 1).
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	u, err := s.users.ByID(ctx, in.UserID)
	if err != nil {
		return err
	}
	var fields []domain.FieldError
	if in.CurrentPassword == "" {
		fields = append(fields, domain.FieldError{Field: "current_password", Code: "required", Key: "accounts.password_required"})
	} else if ok, _ := s.hasher.Verify(in.CurrentPassword, u.PasswordHash); !ok {
		fields = append(fields, domain.FieldError{Field: "current_password", Code: "password_incorrect", Key: "accounts.password_incorrect"})
	}
	fields = append(fields, s.checkPassword("new_password", in.NewPassword, u.Email, u.Name)...)
	if len(fields) > 0 {
		return domain.Invalid(fields...)
	}
	hash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return domain.Internal(err)
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
	s.dropCached(ctx, revoked...)
	s.invalidate(ctx, ports.Invalidation{Sessions: revoked, Users: []int64{in.UserID}}, true)
	return nil
}

// PasswordRules lists the enabled validators' help texts for the frontend.
func (s *Service) PasswordRules() []password.Rule { return s.cfg.Policy.Rules() }

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
