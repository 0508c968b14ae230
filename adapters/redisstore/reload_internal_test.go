package redisstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A node's breaker calls onOpen each time it opens (the first time and
// after each failed probe), never for replies or successes, so a cluster
// client re-reads its slot map exactly when a node may have been replaced.
func TestBreakerOpeningRunsOnOpen(t *testing.T) {
	var opened atomic.Int32
	h := newBreakerHook("127.0.0.1:1", BreakerConfig{Failures: 2, Open: 50 * time.Millisecond, onOpen: func() { opened.Add(1) }}, nil)
	ctx := context.Background()
	down := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	fail := func(context.Context) error { return down }

	_ = h.run(ctx, fail)
	if n := opened.Load(); n != 0 {
		t.Fatalf("onOpen ran %d times after one failure, breaker opens at two", n)
	}
	_ = h.run(ctx, fail)
	if n := opened.Load(); n != 1 {
		t.Fatalf("onOpen ran %d times after the breaker opened, want 1", n)
	}
	if err := h.run(ctx, fail); !errors.Is(err, ErrNodeSkipped) {
		t.Fatalf("a call while open: %v, want ErrNodeSkipped", err)
	}
	time.Sleep(60 * time.Millisecond) // half-open: the probe fails, the breaker opens again
	_ = h.run(ctx, fail)
	if n := opened.Load(); n != 2 {
		t.Fatalf("onOpen ran %d times after a failed probe, want 2", n)
	}
	time.Sleep(60 * time.Millisecond) // a successful probe closes it: no call
	if err := h.run(ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := opened.Load(); n != 2 {
		t.Fatalf("onOpen ran %d times after the breaker closed, want 2", n)
	}
}

// Without a cluster client yet (NewClient sets it right after building
// it), a reload asks nothing of anyone.
func TestClusterReloaderWithoutClient(t *testing.T) {
	(&clusterReloader{}).reload()
}
