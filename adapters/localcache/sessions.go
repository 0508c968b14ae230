package localcache

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// Sessions is an instance's in-memory copy of live sessions (by token hash)
// and their users (by ID): a ports.LocalSessionCache. Users are kept apart
// from sessions so that one change to a user drops one entry, whatever the
// number of their sessions, and so that a user with many sessions is stored
// once.
//
// # Trust
//
// A local copy is only as good as the instance's knowledge of revocations,
// which arrive from elsewhere (adapters/redisstore.Revocations). The
// subscriber tells the cache how long it may trust itself (Trust: until a
// given instant, extended by each sign of life of the subscription) and
// when it must not (Distrust: drops everything). Past the trusted instant
// every Get is a miss and every Put is ignored, so an instance whose
// subscription died silently stops serving from memory by itself, without
// waiting for the failure to be detected. A new cache trusts nothing until
// its subscriber says so.
//
// # Races
//
// Every invalidation, reset and loss of trust increments a generation, and
// Put stores only under the generation its Ticket saw: a reader that loaded
// a session from Redis or MySQL just before a revocation arrived cannot put
// it back just after. A burst of invalidations costs concurrent fills
// their Put (they are read again next time), never correctness.
type Sessions struct {
	ttl time.Duration
	now func() time.Time

	gen          atomic.Uint64
	trustedUntil atomic.Int64 // Unix nanoseconds; 0: not trusted

	mu       sync.Mutex
	sessions *lru[string, accounts.Session]
	users    *lru[int64, accounts.User]
}

var _ ports.LocalSessionCache = (*Sessions)(nil)

// Forever is the Trust of a cache whose revocations cannot be lost (they
// are delivered in process, as by adapters/memory.RevocationBus).
var Forever = time.Unix(0, math.MaxInt64)

// NewSessions returns an empty, untrusted cache of at most size sessions
// and size users, each kept at most ttl (and a session never past its
// expiry). size or ttl of zero or less disables it: every Get misses.
func NewSessions(size int, ttl time.Duration) *Sessions {
	return NewSessionsWithClock(size, ttl, time.Now)
}

// NewSessionsWithClock is NewSessions reading the time from now, for tests.
func NewSessionsWithClock(size int, ttl time.Duration, now func() time.Time) *Sessions {
	if ttl <= 0 {
		size = 0
	}
	return &Sessions{ttl: ttl, now: now, sessions: newLRU[string, accounts.Session](size),
		users: newLRU[int64, accounts.User](size)}
}

// Get returns the cached session and its user, and true on a hit; a miss
// while the cache is not trusted.
func (c *Sessions) Get(hash string) (accounts.Session, accounts.User, bool) {
	now := c.now().UnixNano()
	if now >= c.trustedUntil.Load() {
		return accounts.Session{}, accounts.User{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sessions.get(hash, now)
	if !ok {
		return accounts.Session{}, accounts.User{}, false
	}
	u, ok := c.users.get(s.UserID, now)
	if !ok {
		return accounts.Session{}, accounts.User{}, false
	}
	return s, u, true
}

// Ticket returns the current generation; see Put.
func (c *Sessions) Ticket() uint64 { return c.gen.Load() }

// Put stores the session and its user for the TTL (the session no longer
// than its expiry), unless an invalidation arrived since ticket was taken or
// the cache is not trusted.
func (c *Sessions) Put(ticket uint64, s accounts.Session, u accounts.User) {
	now := c.now().UnixNano()
	if now >= c.trustedUntil.Load() || s.UserID != u.ID {
		return
	}
	exp := now + int64(c.ttl)
	sessExp := min(exp, s.ExpiresAt.UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	// Compared under the mutex that Invalidate increments it under, so an
	// invalidation is either before the check (and refuses the Put) or after
	// the Put (and drops what it stored).
	if c.gen.Load() != ticket {
		return
	}
	c.sessions.put(s.TokenHash, s, sessExp)
	c.users.put(u.ID, u, exp)
}

// Invalidate drops the named sessions and users (projects and tasks are
// Objects' business).
func (c *Sessions) Invalidate(inv ports.Invalidation) {
	if len(inv.Sessions)+len(inv.Users) == 0 {
		return // projects and tasks only: a session fill under way may stand
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	for _, h := range inv.Sessions {
		c.sessions.del(h)
	}
	for _, id := range inv.Users {
		c.users.del(id)
	}
}

// Reset drops every entry, for when invalidations may have been missed (a
// new subscription, or a message this release cannot read).
func (c *Sessions) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.sessions.clear()
	c.users.clear()
}

// Trust lets the cache serve and store entries until the instant until.
// The subscriber calls it with the time it last proved it hears everything
// published (plus its allowance), so trust lapses by itself when the proofs
// stop.
func (c *Sessions) Trust(until time.Time) { c.trustedUntil.Store(until.UnixNano()) }

// Distrust stops serving and storing, and drops every entry: revocations
// published from now on may be missed until Trust is called again.
func (c *Sessions) Distrust() {
	c.trustedUntil.Store(0)
	c.Reset()
}

// Trusted reports whether the cache currently serves entries.
func (c *Sessions) Trusted() bool { return c.now().UnixNano() < c.trustedUntil.Load() }

// Len returns how many sessions and users are held, for tests and metrics.
func (c *Sessions) Len() (sessions, users int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions.len(), c.users.len()
}
