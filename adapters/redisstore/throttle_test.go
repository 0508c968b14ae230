package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestThrottleContract(t *testing.T) {
	t.Parallel()
	porttest.Throttle(t, func(t *testing.T) ports.Throttle {
		c, k := redistest.New(t)
		t.Cleanup(func() { redistest.CheckTTLs(t, c, k) })
		return redisstore.NewThrottle(c, k)
	})
}

// A counter that lost its TTL (a pipeline cut off after its INCR) must not
// block for ever: the next attempt gives it a window.
func TestThrottleRepairsCounterWithoutTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	th := redisstore.NewThrottle(c, k)
	counter := ports.ThrottleCounter{Kind: "login_account", ID: "bob@example.com", Limit: 3, Window: 15 * time.Minute}
	if err := c.Set(ctx, k.Throttle(counter.Kind, counter.ID), 3, 0).Err(); err != nil {
		t.Fatal(err)
	}
	wait, err := th.Attempt(ctx, counter)
	if err != nil {
		t.Fatal(err)
	}
	if wait <= 14*time.Minute || wait > 15*time.Minute {
		t.Errorf("wait %v, want a fresh 15m window", wait)
	}
	if n := redistest.CheckTTLs(t, c, k); n != 1 {
		t.Errorf("%d keys, want the one counter", n)
	}
}

// An outage is reported, fast, as Unavailable: the caller falls back to
// its in-process throttle rather than letting the attempt through.
func TestThrottleOutageIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.NewDown(t)
	th := redisstore.NewThrottle(c, k)
	counter := ports.ThrottleCounter{Kind: "login_account", ID: "bob@example.com", Limit: 3, Window: time.Minute}
	tests := []struct {
		name string
		call func() error
	}{
		{"attempt", func() error { _, err := th.Attempt(ctx, counter); return err }},
		{"reset", func() error { return th.Reset(ctx, counter) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if err := tt.call(); !domain.IsKind(err, domain.KindUnavailable) {
				t.Errorf("err = %v, want kind unavailable", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to fail; logins wait for it", d)
			}
		})
	}
}
