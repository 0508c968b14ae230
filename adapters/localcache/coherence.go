package localcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onitapp/onit/ports"
)

// Sink is what an invalidation feed keeps informed: Sessions, or a Gate
// in front of it.
type Sink interface {
	// Invalidate drops what an announcement names.
	Invalidate(inv ports.Invalidation)
	// Reset drops everything: announcements may have been missed.
	Reset()
	// Trust lets the sink serve its copies until the given instant.
	Trust(until time.Time)
	// Distrust stops the sink serving copies, and drops them.
	Distrust()
}

// Gate lets several invalidation feeds keep one cache true. Each feed
// vouches for the cache until some instant (Trust); the cache is trusted
// only until the earliest of them, so it serves its copies only while
// every feed proves it would have delivered an announcement. Onit runs
// two: Redis pub/sub (fast, but a PUBLISH can be refused or lost while
// the subscription looks healthy) and the MySQL invalidation log
// (durable, read every 250 ms). Invalidations and resets from any feed
// pass straight through.
//
// The gate also counts lapses for operators: each time the cache, once
// trusted, stopped serving (a feed distrusted it, or every proof ran out
// before a new one came). A lapse costs the database a read for every
// copy the instance would have served, so a count that climbs explains a
// busier MySQL.
type Gate struct {
	sink Sink
	now  func() time.Time

	mu    sync.Mutex
	until []time.Time // per feed; zero: not trusted

	lapses atomic.Uint64
	// trusted is what the sink was last told to trust until, in Unix
	// nanoseconds (0: nothing, or an instant already past). Written under
	// mu; read without it by Trusted.
	trusted atomic.Int64
}

// NewGate returns a gate of n feeds in front of sink, trusting nothing.
func NewGate(sink Sink, n int) *Gate { return NewGateWithClock(sink, n, time.Now) }

// NewGateWithClock is NewGate reading the time from now, for tests.
func NewGateWithClock(sink Sink, n int, now func() time.Time) *Gate {
	return &Gate{sink: sink, now: now, until: make([]time.Time, n)}
}

// Trusted reports whether the sink currently serves its copies.
func (g *Gate) Trusted() bool { return g.now().UnixNano() < g.trusted.Load() }

// Lapses returns how often the sink, once trusted, stopped serving.
func (g *Gate) Lapses() uint64 { return g.lapses.Load() }

// apply tells the sink to trust until until (zero: distrust), counting a
// lapse when a trust that was given ends, whether by running out before
// now or by a distrust or an already past until. Callers hold g.mu.
func (g *Gate) apply(until time.Time) {
	now := g.now().UnixNano()
	var next int64
	if !until.IsZero() && now < until.UnixNano() {
		next = until.UnixNano()
	}
	if prev := g.trusted.Load(); prev != 0 && (next == 0 || now >= prev) {
		g.lapses.Add(1)
	}
	g.trusted.Store(next)
	if until.IsZero() {
		g.sink.Distrust()
		return
	}
	g.sink.Trust(until)
}

// Feed returns the sink the i-th feed (0 ≤ i < n) reports to.
func (g *Gate) Feed(i int) Sink { return gateFeed{g: g, i: i} }

type gateFeed struct {
	g *Gate
	i int
}

func (f gateFeed) Invalidate(inv ports.Invalidation) { f.g.sink.Invalidate(inv) }
func (f gateFeed) Reset()                            { f.g.sink.Reset() }

func (f gateFeed) Trust(until time.Time) {
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	f.g.until[f.i] = until
	earliest := until
	for _, u := range f.g.until {
		if u.Before(earliest) {
			earliest = u
		}
	}
	if earliest.IsZero() {
		return // another feed has not vouched yet (or stopped): stay off
	}
	f.g.apply(earliest)
}

func (f gateFeed) Distrust() {
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	f.g.until[f.i] = time.Time{}
	f.g.apply(time.Time{})
}

// Sinks is one Sink made of several (the session cache and the object
// cache), so one Gate and one pair of feeds keep them all true.
type Sinks []Sink

var _ Sink = Sinks(nil)

// Invalidate passes inv to every sink.
func (s Sinks) Invalidate(inv ports.Invalidation) {
	for _, k := range s {
		k.Invalidate(inv)
	}
}

// Reset resets every sink.
func (s Sinks) Reset() {
	for _, k := range s {
		k.Reset()
	}
}

// Trust trusts every sink until until.
func (s Sinks) Trust(until time.Time) {
	for _, k := range s {
		k.Trust(until)
	}
}

// Distrust distrusts every sink.
func (s Sinks) Distrust() {
	for _, k := range s {
		k.Distrust()
	}
}

// Fanout publishes every announcement on each of its channels (Redis
// pub/sub and the MySQL invalidation log). Each channel retries its own
// failures; the joined error tells the caller which could not send now.
type Fanout []ports.Revocations

var _ ports.Revocations = Fanout(nil)

// Publish sends inv on every channel, even when one fails.
func (f Fanout) Publish(ctx context.Context, inv ports.Invalidation) error {
	var errs []error
	for _, r := range f {
		if err := r.Publish(ctx, inv); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
