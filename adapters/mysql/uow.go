package mysql

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/ports"
)

// maxAttempts bounds how often Transact runs fn when InnoDB picks it as a
// deadlock victim or its lock wait times out: the first run plus two retries.
// More rarely helps; contention that survives three tries is a hot row that
// needs a different design, and the request deadline is ticking.
const maxAttempts = 3

// UnitOfWork runs functions in one READ COMMITTED transaction each and
// retries them when they lose a lock race.
type UnitOfWork struct {
	db      *bun.DB
	repos   func(bun.IDB) ports.Repos
	backoff func(attempt int) time.Duration
}

var _ ports.UnitOfWork = (*UnitOfWork)(nil)

// NewUnitOfWork returns a unit of work on db. repos builds the repositories
// bound to a transaction; it is called once per attempt.
func NewUnitOfWork(db *bun.DB, repos func(bun.IDB) ports.Repos) *UnitOfWork {
	return &UnitOfWork{db: db, repos: repos, backoff: jitteredBackoff}
}

// Transact runs fn in a transaction and commits when fn returns nil. On a
// deadlock (1213) or lock wait timeout (1205) the transaction is rolled back
// and fn runs again, up to maxAttempts times, so fn must not have side effects
// outside the repositories. fn's context is the transaction's: pass it on.
//
// The isolation level is the session's READ COMMITTED, which Open sets on
// every connection; asking for it per transaction would cost one more round
// trip each time. Errors are mapped with MapError unless already coded.
//
// Transact must not be called from inside fn: the inner call would open a
// second transaction on another connection and could wait on the outer one's
// locks until the lock wait timeout.
func (u *UnitOfWork) Transact(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) error {
	for attempt := 1; ; attempt++ {
		err := u.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return fn(ctx, u.repos(tx))
		})
		if err == nil {
			return nil
		}
		if attempt >= maxAttempts || !IsRetryable(err) || ctx.Err() != nil {
			return mapTxError(ctx, err)
		}
		t := time.NewTimer(u.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return mapTxError(ctx, err)
		case <-t.C:
		}
	}
}

// jitteredBackoff waits 10–20 ms after the first failure and 20–40 ms after
// the second: long enough for the winning transaction to commit, short enough
// to stay invisible in request latency. The jitter keeps two victims from
// colliding again in lockstep.
func jitteredBackoff(attempt int) time.Duration {
	base := time.Duration(attempt) * 10 * time.Millisecond
	return base + rand.N(base+1)
}
