package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// # Writes that failed during an outage
//
// A cache write that fails (Redis down or timing out) leaves whatever copy
// Redis had. When Redis keeps its data through the outage (a promoted
// replica, a network partition, a restart from its append-only file), that
// copy is older than MySQL and would be served once Redis answers again.
// So the cache remembers every failed fill and replays it before trusting
// the keys it covers: fills compare versions, so a replay can only move an
// entry forward (to the version MySQL committed, or a tombstone), never
// back, however late it runs. Until its replay succeeds, reads of a key
// with a pending fill are misses, served from MySQL.
//
// Replays are started by reads, at most one at a time and at most every
// replayEvery, and run in the background: after a long outage thousands of
// fills may be waiting, and the request that notices Redis is back must not
// wait for them (each fill is one call with its own budget). The
// memory is bounded (maxPendingFills fills); past that the cache no longer knows
// which entries are stale, and once Redis answers again it distrusts every
// entry for one TTL (reads are misses), after which any entry written
// before the outage has expired.
//
// Another instance may still read a stale entry between Redis's return and
// this instance's replay: under load that is this instance's next request,
// a few milliseconds.

const (
	// maxPendingFills bounds the remembered failed fills (a few MB at most).
	maxPendingFills = 10_000
	// replayEvery spaces replay attempts while Redis is still down.
	replayEvery = 100 * time.Millisecond
)

// fillCall is one fill script call to replay.
type fillCall struct {
	op   string
	keys []string
	args []any
}

// pendingFills are the failed fills of one ObjectCache.
type pendingFills struct {
	count      atomic.Int64 // len(fills), readable without the lock
	nextReplay atomic.Int64 // unix nanos before which no replay starts
	replaying  sync.Mutex   // held by the one replaying goroutine

	mu    sync.Mutex
	fills []fillCall
	keys  map[string]int // key → pending fills touching it
	lost  bool           // a fill was dropped: maxPendingFills was reached
}

// add remembers a failed fill.
func (p *pendingFills) add(op string, keys []string, args []any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.fills) >= maxPendingFills {
		p.lost = true
		return
	}
	if p.keys == nil {
		p.keys = map[string]int{}
	}
	p.fills = append(p.fills, fillCall{op: op, keys: keys, args: args})
	for _, k := range keys {
		p.keys[k]++
	}
	p.count.Store(int64(len(p.fills)))
}

// usable reports whether reads of keys may be served from Redis: no failed
// fill of theirs awaits replay and the cache is not distrusted. It first
// replays pending fills when it is time to.
func (o *ObjectCache) usable(ctx context.Context, keys ...string) bool {
	p := &o.pending
	if p.count.Load() > 0 {
		o.startReplay()
	}
	if until := o.distrustUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return false
	}
	if p.count.Load() == 0 {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if p.keys[k] > 0 {
			return false
		}
	}
	return true
}

// startReplay starts a replay in the background when it is time to and
// none is running.
func (o *ObjectCache) startReplay() {
	p := &o.pending
	now := time.Now().UnixNano()
	if now < p.nextReplay.Load() || !p.replaying.TryLock() {
		return
	}
	p.nextReplay.Store(now + int64(replayEvery))
	go func() {
		defer p.replaying.Unlock()
		o.replay(context.Background())
	}()
}

// replay runs the pending fills in order until one fails (Redis is still
// away) and forgets those that succeeded. The caller holds p.replaying.
func (o *ObjectCache) replay(ctx context.Context) {
	p := &o.pending
	p.mu.Lock()
	batch := p.fills[:len(p.fills):len(p.fills)]
	p.mu.Unlock()
	done := 0
	for _, f := range batch {
		if err := o.runFill(ctx, f.keys, f.args); err != nil {
			o.fail(ctx, "replay "+f.op, err)
			break
		}
		done++
	}
	if done == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.fills[:done] {
		for _, k := range f.keys {
			if p.keys[k]--; p.keys[k] <= 0 {
				delete(p.keys, k)
			}
		}
	}
	p.fills = append([]fillCall(nil), p.fills[done:]...)
	p.count.Store(int64(len(p.fills)))
	if len(p.fills) == 0 && p.lost {
		// Some failed fills were not remembered: distrust everything
		// cached before now until it has expired.
		p.lost = false
		o.distrustUntil.Store(time.Now().Add(o.ttl).UnixNano())
		o.log.WarnContext(ctx, "object cache lost track of writes during a Redis outage; serving from MySQL for one cache TTL", "ttl", o.ttl)
	}
}
