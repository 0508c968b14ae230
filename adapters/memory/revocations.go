package memory

import (
	"context"
	"sync"
	"time"

	"github.com/onitapp/onit/ports"
)

// RevocationSink receives the invalidations a RevocationBus delivers: an
// instance's local session cache (adapters/localcache.Sessions).
type RevocationSink interface {
	Invalidate(inv ports.Invalidation)
	Trust(until time.Time)
}

// RevocationBus is the in-process twin of redisstore.Revocations: Publish
// delivers to every subscribed sink before it returns. Delivery cannot be
// lost, so subscribing trusts the sink for good.
type RevocationBus struct {
	mu    sync.Mutex
	sinks []RevocationSink
}

var _ ports.Revocations = (*RevocationBus)(nil)

// NewRevocationBus returns a bus without subscribers.
func NewRevocationBus() *RevocationBus { return &RevocationBus{} }

// Subscribe adds sink and trusts it from now on.
func (b *RevocationBus) Subscribe(sink RevocationSink) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sinks = append(b.sinks, sink)
	sink.Trust(time.Unix(0, 1<<63-1))
}

// Publish delivers inv to every sink; it never fails.
func (b *RevocationBus) Publish(_ context.Context, inv ports.Invalidation) error {
	b.mu.Lock()
	sinks := b.sinks
	b.mu.Unlock()
	for _, s := range sinks {
		s.Invalidate(inv)
	}
	return nil
}
