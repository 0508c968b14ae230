package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports/porttest"
)

var limits = env.Throttle{AccountLimit: 3, AccountWindow: 15 * time.Minute, ClientLimit: 5, ClientWindow: time.Minute}

func checkWait(t *testing.T, got, window time.Duration, blocked bool) {
	t.Helper()
	switch {
	case !blocked && got != 0:
		t.Errorf("wait %v, want 0", got)
	case blocked && (got <= window-5*time.Second || got > window):
		t.Errorf("wait %v, want the rest of the %v window", got, window)
	}
}

func TestThrottleAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failures  int
		succeeded bool
		blocked   bool
	}{
		{"no failure", 0, false, false},
		{"under the limit", limits.AccountLimit - 1, false, false},
		{"at the limit", limits.AccountLimit, false, true},
		{"beyond the limit", limits.AccountLimit + 4, false, true},
		{"success resets", limits.AccountLimit, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, k := redistest.New(t)
			th := redisstore.NewLoginThrottle(c, k, limits)
			for range tt.failures {
				if err := th.Failed(ctx, "bob@example.com"); err != nil {
					t.Fatalf("Failed: %v", err)
				}
			}
			if tt.succeeded {
				if err := th.Succeeded(ctx, "bob@example.com"); err != nil {
					t.Fatalf("Succeeded: %v", err)
				}
			}
			wait, err := th.Check(ctx, "bob@example.com", "192.0.2.1")
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			checkWait(t, wait, limits.AccountWindow, tt.blocked)

			// Other accounts are not affected, whatever the client.
			wait, err = th.Check(ctx, "alice@example.com", "192.0.2.1")
			if err != nil || wait != 0 {
				t.Errorf("other account: %v, %v; want 0", wait, err)
			}
			redistest.CheckTTLs(t, c, k)
		})
	}
}

func TestThrottleClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		attempts int // checks before the one judged
		blocked  bool
	}{
		{"first", 0, false},
		{"last allowed", limits.ClientLimit - 1, false},
		{"one too many", limits.ClientLimit, true},
		{"hammering", 3 * limits.ClientLimit, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, k := redistest.New(t)
			th := redisstore.NewLoginThrottle(c, k, limits)
			for i := range tt.attempts {
				// Different accounts: the limit is per client.
				if _, err := th.Check(ctx, string(rune('a'+i%26))+"@example.com", "2001:db8::1"); err != nil {
					t.Fatal(err)
				}
			}
			wait, err := th.Check(ctx, "bob@example.com", "2001:db8::1")
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			checkWait(t, wait, limits.ClientWindow, tt.blocked)

			wait, err = th.Check(ctx, "bob@example.com", "2001:db8::2")
			if err != nil || wait != 0 {
				t.Errorf("other client: %v, %v; want 0", wait, err)
			}
			redistest.CheckTTLs(t, c, k)
		})
	}
}

// A window ends when it started, however many counts follow: hammering a
// blocked account or address must not prolong the block.
func TestThrottleWindowsDoNotSlide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	th := redisstore.NewLoginThrottle(c, k, limits)
	if err := th.Failed(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Check(ctx, "bob@example.com", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	// Pretend both windows are nearly over.
	const left = 10 * time.Second
	for _, key := range []string{k.ThrottleAccount("bob@example.com"), k.ThrottleClient("192.0.2.1")} {
		if err := c.PExpire(ctx, key, left).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 * limits.ClientLimit {
		if err := th.Failed(ctx, "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := th.Check(ctx, "bob@example.com", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	wait, err := th.Check(ctx, "bob@example.com", "192.0.2.1")
	if err != nil || wait <= 0 || wait > left {
		t.Errorf("Check = %v, %v; want a wait within the %v left", wait, err, left)
	}
	for _, key := range []string{k.ThrottleAccount("bob@example.com"), k.ThrottleClient("192.0.2.1")} {
		if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 || ttl > left {
			t.Errorf("%s: PTTL %v, want the %v left", key, ttl, left)
		}
	}
}

func TestThrottleBothExhaustedWaitsForTheLonger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	th := redisstore.NewLoginThrottle(c, k, limits)
	for range limits.AccountLimit {
		if err := th.Failed(ctx, "bob@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	var wait time.Duration
	for range limits.ClientLimit + 1 {
		var err error
		if wait, err = th.Check(ctx, "bob@example.com", "192.0.2.9"); err != nil {
			t.Fatal(err)
		}
	}
	checkWait(t, wait, limits.AccountWindow, true)
}

func TestThrottleOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		cfg           env.Throttle
		account, addr string
	}{
		{"zero limits", env.Throttle{}, "bob@example.com", "192.0.2.1"},
		{"zero windows", env.Throttle{AccountLimit: 1, ClientLimit: 1}, "bob@example.com", "192.0.2.1"},
		{"no account nor address", limits, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, k := redistest.New(t)
			th := redisstore.NewLoginThrottle(c, k, tt.cfg)
			for range 5 {
				if err := th.Failed(ctx, tt.account); err != nil {
					t.Fatal(err)
				}
				if wait, err := th.Check(ctx, tt.account, tt.addr); wait != 0 || err != nil {
					t.Fatalf("Check = %v, %v; want 0", wait, err)
				}
			}
			if err := th.Succeeded(ctx, tt.account); err != nil {
				t.Fatal(err)
			}
			if n := redistest.CheckTTLs(t, c, k); n != 0 {
				t.Errorf("%d keys written by a throttle that is off", n)
			}
		})
	}
}

func TestThrottleRepairsCounterWithoutTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	th := redisstore.NewLoginThrottle(c, k, limits)
	// As left by a Failed cut off between its INCR and its PEXPIRE.
	if err := c.Set(ctx, k.ThrottleAccount("bob@example.com"), limits.AccountLimit, 0).Err(); err != nil {
		t.Fatal(err)
	}
	wait, err := th.Check(ctx, "bob@example.com", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	checkWait(t, wait, limits.AccountWindow, true)
	if n := redistest.CheckTTLs(t, c, k); n != 2 {
		t.Errorf("%d keys, want the account and the client counters", n)
	}
}

func TestThrottleFailsOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.NewDown(t)
	th := redisstore.NewLoginThrottle(c, k, limits)
	tests := []struct {
		name string
		call func() (time.Duration, error)
	}{
		{"check", func() (time.Duration, error) { return th.Check(ctx, "bob@example.com", "192.0.2.1") }},
		{"check account only", func() (time.Duration, error) { return th.Check(ctx, "bob@example.com", "") }},
		{"failed", func() (time.Duration, error) { return 0, th.Failed(ctx, "bob@example.com") }},
		{"succeeded", func() (time.Duration, error) { return 0, th.Succeeded(ctx, "bob@example.com") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			wait, err := tt.call()
			if wait != 0 {
				t.Errorf("wait %v during an outage, want 0 (fail open)", wait)
			}
			if !domain.IsKind(err, domain.KindUnavailable) {
				t.Errorf("err = %v, want kind unavailable", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to fail; logins wait for it", d)
			}
		})
	}
}

func TestRateLimiterContract(t *testing.T) {
	t.Parallel()
	c, k := redistest.New(t)
	porttest.RateLimiter(t, redisstore.NewRateLimiter(c, k))
}

func TestRateLimiterDown(t *testing.T) {
	t.Parallel()
	c, k := redistest.NewDown(t)
	_, err := redisstore.NewRateLimiter(c, k).Hit(context.Background(), "k", 1, time.Minute)
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Hit on a dead Redis = %v, want Unavailable", err)
	}
}
