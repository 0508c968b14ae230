// Package accounts holds the accounts use cases: registration, login
// sessions, the caller's profile and password.
//
// Sessions live in the SessionRepository (MySQL), the only store an
// authentication trusts besides this instance's memory: each instance may
// keep a LocalSessionCache of sessions with their users, which makes
// authenticating a known session free of round trips, and every change
// that makes such a copy wrong (logout, password change, revocation,
// deactivation, any change to the user) is announced to all instances
// through Revocations once the truth has changed. No copy of a session
// lives in Redis: a Redis write that is refused or lost can therefore
// never keep a revoked session alive (an earlier design cached sessions
// there for their whole age, and a lost delete did exactly that). Comments
// on each method count the round-trips of the happy path.
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
	// Throttle holds the limits of the throttles in front of every
	// password check.
	Throttle ThrottleLimits
	// HashWorkers bounds the password hashes running at once; 0: half the CPUs, at least one.
	HashWorkers int
}

// Service implements the accounts use cases over the ports.
type Service struct {
	cfg      Config
	users    ports.UserRepository
	sessions ports.SessionRepository
	throttle ports.Throttle
	hasher   ports.PasswordHasher
	pool     *HashPool
	uow      ports.UnitOfWork
	clock    ports.Clock
	random   ports.Random
	log      *slog.Logger

	local ports.LocalSessionCache // nil: no instance-local copies
	revs  ports.Revocations       // set together with local

	resets   *resets  // nil: password resets are off (UsePasswordResets)
	staff    *staff   // nil: the staff console is off (UseStaffConsole)
	activity activity // last-used times waiting for FlushSessionActivity
}

// New builds the service. Every password hash it computes runs on its
// HashPool of cfg.HashWorkers slots. The unit of work is needed only by ChangePassword,
// which changes a user and that user's sessions together. A nil log discards.
func New(cfg Config, users ports.UserRepository, sessions ports.SessionRepository,
	throttle ports.Throttle, hasher ports.PasswordHasher,
	uow ports.UnitOfWork, clock ports.Clock, random ports.Random, log *slog.Logger,
) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, users: users, sessions: sessions, throttle: throttle,
		hasher: hasher, pool: NewHashPool(cfg.HashWorkers), uow: uow, clock: clock, random: random, log: log}
}

// UseLocalSessions puts an instance-local cache of sessions and users in
// front of the repositories, with the revocations that keep every
// instance's copy true. Call it before serving: it is not synchronised with
// requests. Without it, every authentication reads MySQL.
func (s *Service) UseLocalSessions(local ports.LocalSessionCache, revs ports.Revocations) {
	s.local, s.revs = local, revs
}
