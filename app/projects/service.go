// Package projects is the projects module's use cases: projects, their
// members, tasks and comments. Authorisation lives here, not in handlers or
// SQL: a non-member gets NotFound for a project and anything in it (never a
// hint that it exists), a member who is not an owner gets Forbidden for
// owner-only actions, and the last owner can be neither removed nor demoted.
//
// # Round-trips on a warm cache
//
// Reads go to the ProjectCache first (the instance's own memory,
// adapters/localcache.Objects: no round trip) and to MySQL on a miss.
// Writes never trust a cache for authorisation: each one checks membership
// against MySQL in its own statement or transaction, updates this
// instance's copy (so the writer reads its write at once) and announces
// the new version to every instance: one INSERT into the invalidation log
// and one PUBLISH (a new project or task needs no announcement: no
// instance holds a copy). Per endpoint, warm cache, statements not
// counting BEGIN/COMMIT (bootstrap/onittest/budget_test.go asserts the
// budgets of the endpoints):
//
//	GET project, GET task          0 MySQL, 0 Redis
//	GET lists of tasks, members    1 MySQL, 0 Redis
//	GET comments                   1 MySQL, 0 Redis
//	GET projects                   1 MySQL, 0 Redis
//	POST project                   2 MySQL (+1 with Idempotency-Key), 0 Redis
//	POST task                      1 MySQL (INSERT … SELECT, autocommit; 2 with Idempotency-Key: the key's claim, then the INSERT … SELECT linked to it), 0 Redis
//	POST comment                   2 MySQL (+1 with Idempotency-Key), 0 Redis
//	PATCH task                     2 MySQL (UPDATE … JOIN membership WHERE version, announcement; the cached copy gives the version), 1 Redis
//	                               (a miss, or a write that matched nothing, reads first: +1)
//	PATCH project                  4 MySQL, 1 Redis
//	DELETE task                    3 MySQL, 1 Redis
//	DELETE project                 3 MySQL (foreign keys cascade), 1 Redis
//	  (with If-Match the DELETE carries the version; when a concurrent
//	  write moved it, one more read tells 412 from 404)
//	POST member                    6 MySQL (+1 with Idempotency-Key), 1 Redis
//	PATCH/DELETE member            5-6 MySQL, 1 Redis
//
// A miss adds one MySQL read. Authenticating the request adds nothing on
// an instance that already knows the session (see
// app/accounts.Service.Authenticate).
package projects

import (
	"context"
	"time"

	"github.com/onitapp/onit/ports"
)

// Page limits of the contract: 1-100 items, 50 by default.
const (
	DefaultLimit = 50
	MaxLimit     = 100
	// MaxIdempotencyKeyLen bounds Idempotency-Key; it is stored in an indexed column.
	MaxIdempotencyKeyLen = 255
)

// Config holds the module's settings as plain values.
type Config struct {
	// IdempotencyTTL is how long a creating POST's response is replayed for
	// the same Idempotency-Key (ONIT_IDEMPOTENCY_TTL; the contract: 24 hours).
	IdempotencyTTL time.Duration
	// ClaimTimeout is how long a keyed task POST's claim on its key counts
	// as in progress, so that a retry is told to wait (409 with
	// Retry-After) rather than taking it over: the request deadline
	// (ONIT_HTTP_REQUEST_TIMEOUT), after which the claiming request can no
	// longer write. 0 or less: DefaultClaimTimeout.
	ClaimTimeout time.Duration
}

// DefaultClaimTimeout is the claim timeout when requests have no deadline.
const DefaultClaimTimeout = 10 * time.Second

// Service runs the projects module's use cases.
type Service struct {
	uow   ports.UnitOfWork
	repos ports.Repos // outside transactions: single consistent reads on the pool
	cache ports.ProjectCache
	revs  ports.Revocations
	clock ports.Clock
	ttl   time.Duration
	claim time.Duration // see Config.ClaimTimeout
}

// NewService wires the use cases. repos are the repositories outside any
// transaction (used for single reads); uow runs every write. A nil cache
// disables caching; revs announces every change of a project or task to
// every instance's cache (nil: none to tell, as with a single process).
func NewService(uow ports.UnitOfWork, repos ports.Repos, cache ports.ProjectCache, revs ports.Revocations, clock ports.Clock, cfg Config) *Service {
	if cache == nil {
		cache = noCache{}
	}
	claim := cfg.ClaimTimeout
	if claim <= 0 {
		claim = DefaultClaimTimeout
	}
	return &Service{uow: uow, repos: repos, cache: cache, revs: revs, clock: clock, ttl: cfg.IdempotencyTTL, claim: claim}
}

// announce tells every instance that the objects inv names changed. It
// runs after the write committed and never fails the request: each channel
// retries its own failures in the background, and an instance that cannot
// hear them stops trusting its copies by itself (see ports.Revocations).
func (s *Service) announce(ctx context.Context, inv ports.Invalidation) {
	if s.revs == nil {
		return
	}
	_ = s.revs.Publish(ctx, inv) // queued for retry on failure; see above
}

// now is the clock's time in UTC at the database's microsecond precision, so
// values read back compare equal to the ones written (keyset cursors need it).
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }
