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
	"log/slog"
	"time"

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

	resets   *resets  // nil: password resets are off (UsePasswordResets)
	activity activity // last-used times waiting for FlushSessionActivity
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
