package memory

import (
	"context"
	"sync"
	"time"

	"github.com/onitapp/onit/ports"
)

// Throttle is the in-process twin of the Redis throttle: fixed windows per
// (kind, id), counted from the first attempt of the window. It is also
// what each instance falls back to while Redis is unreachable, so it bounds
// its memory: ended windows are swept when the map grows.
type Throttle struct {
	mu     sync.Mutex
	clock  ports.Clock
	counts map[throttleKey]throttleWindow
	// sweepAt is the map size that triggers the next sweep of ended windows.
	sweepAt int
}

type throttleKey struct{ kind, id string }

type throttleWindow struct {
	end time.Time
	n   int
}

var _ ports.Throttle = (*Throttle)(nil)

// NewThrottle returns an empty throttle reading time from clock.
func NewThrottle(clock ports.Clock) *Throttle {
	return &Throttle{clock: clock, counts: map[throttleKey]throttleWindow{}, sweepAt: 1024}
}

// Attempt counts one attempt on each counter that is on; the whole call is
// one step under the mutex.
func (t *Throttle) Attempt(_ context.Context, counters ...ports.ThrottleCounter) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	t.sweep(now)
	var wait time.Duration
	for _, c := range counters {
		if !c.On() {
			continue
		}
		k := throttleKey{c.Kind, c.ID}
		w := t.counts[k]
		if !now.Before(w.end) {
			w = throttleWindow{end: now.Add(c.Window)}
		}
		w.n++
		t.counts[k] = w
		if w.n > c.Limit {
			wait = max(wait, w.end.Sub(now))
		}
	}
	return wait, nil
}

// Reset forgets the counters' attempts.
func (t *Throttle) Reset(_ context.Context, counters ...ports.ThrottleCounter) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range counters {
		delete(t.counts, throttleKey{c.Kind, c.ID})
	}
	return nil
}

// sweep drops ended windows once the map has doubled since the last sweep,
// so the cost is amortised over the insertions.
func (t *Throttle) sweep(now time.Time) {
	if len(t.counts) < t.sweepAt {
		return
	}
	for k, w := range t.counts {
		if !now.Before(w.end) {
			delete(t.counts, k)
		}
	}
	t.sweepAt = max(1024, 2*len(t.counts))
}
