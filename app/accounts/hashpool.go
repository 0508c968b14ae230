package accounts

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/onitapp/onit/domain/accounts"
)

// HashPool bounds how many password hashes run at once. A hash is slow on
// purpose (Django 5.1's 870,000 PBKDF2 iterations), so without a bound a
// burst of logins takes every core and starves every other request.
//
// A caller waits for a slot at most until its context's deadline (the
// request's), and only while fewer than maxWaiting others wait; otherwise
// it gets ErrHashBusy at once. The refusal is decided before the password is
// looked at, so a saturated server answers a right and a wrong password
// alike.
type HashPool struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
	retryAfter time.Duration
}

// NewHashPool returns a pool of HashSlots(workers) slots. Up to
// queuePerSlot callers per slot may queue.
func NewHashPool(workers int) *HashPool {
	workers = HashSlots(workers)
	return &HashPool{slots: make(chan struct{}, workers), maxWaiting: int64(queuePerSlot * workers), retryAfter: time.Second}
}

// queuePerSlot bounds the callers waiting per slot. A waiting login costs a
// parked goroutine; a refused one costs little more, but a client that
// does not honour Retry-After sends the next at once, and its parsing,
// logging and problem document take the CPU a storm must leave to others:
// in the bench's storm (64 logins always in flight) a queue of 16 per slot
// turned into 8,400 refused logins a second. With 64 per slot a storm of
// that size waits its turn, and the wait still ends at the request's
// deadline with the same 503.
const queuePerSlot = 64

// DefaultHashWorkers is the pool size for cpus CPUs: half of them, at
// least one. With one slot per CPU a login storm kept every core hashing,
// and on 2 vCPUs every other request waited for the scheduler (GET one
// task's p99 went from 6 ms to 420 ms during 64 concurrent logins); half
// the cores keep serving while the other half hash, at half the login
// throughput, which is the trade the issue asks for.
func DefaultHashWorkers(cpus int) int { return max(1, cpus/2) }

// HashSlots is how many hashes a pool configured with workers runs at
// once: workers, or DefaultHashWorkers of this machine's CPUs when it is
// below 1 (ONIT_PASSWORD_HASH_WORKERS=0).
func HashSlots(workers int) int {
	if workers < 1 {
		return DefaultHashWorkers(runtime.NumCPU())
	}
	return workers
}

// Workers is the number of hashes that may run at once.
func (p *HashPool) Workers() int { return cap(p.slots) }

// Do runs fn in a slot, or returns ErrHashBusy (with RetryAfter) when no
// slot frees up before ctx ends or too many callers are already waiting.
func (p *HashPool) Do(ctx context.Context, fn func()) error {
	select {
	case p.slots <- struct{}{}:
	default:
		if p.waiting.Add(1) > p.maxWaiting {
			p.waiting.Add(-1)
			return p.busy()
		}
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return p.busy()
		}
	}
	defer func() { <-p.slots }()
	fn()
	return nil
}

// Shed returns ErrHashBusy when a caller arriving now would be refused
// anyway: every slot is taken and the queue is full. Login asks before any
// I/O, so a storm's overflow is answered without its throttle round trip
// and user read (in the bench, 2,000 refused logins a second cost more
// than the hashing itself). It is a shortcut, not the decision: Do still
// refuses whoever finds the queue full, and like Do it never looks at the
// password.
func (p *HashPool) Shed() error {
	if len(p.slots) == cap(p.slots) && p.waiting.Load() >= p.maxWaiting {
		return p.busy()
	}
	return nil
}

func (p *HashPool) busy() error {
	e := accounts.ErrHashBusy.Wrap(nil)
	e.RetryAfter = p.retryAfter
	return e
}
