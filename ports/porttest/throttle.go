package porttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/ports"
)

// Throttle checks an implementation of ports.Throttle on the wall clock.
// newThrottle is called once; the cases isolate themselves with unique ids.
func Throttle(t *testing.T, newThrottle func(t *testing.T) ports.Throttle) {
	t.Helper()
	th := newThrottle(t)
	ctx := context.Background()
	counter := func(kind string, limit int, window time.Duration) ports.ThrottleCounter {
		return ports.ThrottleCounter{Kind: kind, ID: randomHex(t, 8), Limit: limit, Window: window}
	}
	attempt := func(t *testing.T, cs ...ports.ThrottleCounter) time.Duration {
		t.Helper()
		wait, err := th.Attempt(ctx, cs...)
		if err != nil {
			t.Fatalf("Attempt: %v", err)
		}
		return wait
	}

	t.Run("the limit passes, the attempt beyond it waits for the rest of the window", func(t *testing.T) {
		c := counter("login_account", 3, time.Minute)
		for i := range 3 {
			if wait := attempt(t, c); wait != 0 {
				t.Fatalf("attempt %d waits %v, want 0", i+1, wait)
			}
		}
		for range 2 {
			if wait := attempt(t, c); wait <= 50*time.Second || wait > time.Minute {
				t.Fatalf("attempt beyond the limit waits %v, want the rest of 1m", wait)
			}
		}
	})

	t.Run("counters are separate by kind and id", func(t *testing.T) {
		c := counter("login_account", 1, time.Minute)
		attempt(t, c)
		if wait := attempt(t, c); wait == 0 {
			t.Fatal("second attempt on a limit of 1 passed")
		}
		other := c
		other.Kind = "register_client"
		if wait := attempt(t, other); wait != 0 {
			t.Fatalf("same id, other kind waits %v", wait)
		}
		if wait := attempt(t, counter("login_account", 1, time.Minute)); wait != 0 {
			t.Fatalf("other id waits %v", wait)
		}
	})

	t.Run("several counters count together and the longest wait wins", func(t *testing.T) {
		short, long := counter("login_client", 1, time.Minute), counter("login_account", 1, time.Hour)
		if wait := attempt(t, short, long); wait != 0 {
			t.Fatalf("first attempt waits %v", wait)
		}
		if wait := attempt(t, short, long); wait <= 59*time.Minute || wait > time.Hour {
			t.Fatalf("wait %v, want the rest of the hour", wait)
		}
		// The short one alone was counted twice already.
		if wait := attempt(t, short); wait == 0 || wait > time.Minute {
			t.Fatalf("short counter alone waits %v", wait)
		}
	})

	t.Run("reset forgets the attempts", func(t *testing.T) {
		c := counter("login_account", 2, time.Minute)
		attempt(t, c)
		attempt(t, c)
		if err := th.Reset(ctx, c); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		for i := range 2 {
			if wait := attempt(t, c); wait != 0 {
				t.Fatalf("attempt %d after reset waits %v", i+1, wait)
			}
		}
	})

	t.Run("counters that are off never block", func(t *testing.T) {
		for _, c := range []ports.ThrottleCounter{
			{Kind: "k", ID: "", Limit: 1, Window: time.Minute},
			{Kind: "k", ID: randomHex(t, 8), Limit: 0, Window: time.Minute},
			{Kind: "k", ID: randomHex(t, 8), Limit: 1, Window: 0},
		} {
			for range 3 {
				if wait := attempt(t, c); wait != 0 {
					t.Fatalf("%+v waits %v", c, wait)
				}
			}
			if err := th.Reset(ctx, c); err != nil {
				t.Fatalf("Reset of %+v: %v", c, err)
			}
		}
		if wait := attempt(t); wait != 0 {
			t.Fatalf("no counter waits %v", wait)
		}
	})

	t.Run("the window ends and is not extended by blocked attempts", func(t *testing.T) {
		c := counter("login_client", 1, 300*time.Millisecond)
		attempt(t, c)
		time.Sleep(150 * time.Millisecond)
		if wait := attempt(t, c); wait == 0 || wait > 150*time.Millisecond+20*time.Millisecond {
			t.Fatalf("blocked attempt waits %v, want the rest of the first window", wait)
		}
		time.Sleep(250 * time.Millisecond)
		if wait := attempt(t, c); wait != 0 {
			t.Fatalf("after the window the attempt waits %v", wait)
		}
	})

	t.Run("concurrent attempts: exactly the limit passes", func(t *testing.T) {
		c := counter("login_account", 10, time.Minute)
		const n = 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed := 0
		for range n {
			wg.Go(func() {
				wait, err := th.Attempt(ctx, c)
				if err != nil {
					t.Errorf("Attempt: %v", err)
					return
				}
				if wait == 0 {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if passed != 10 {
			t.Fatalf("%d of %d concurrent attempts passed, want exactly 10", passed, n)
		}
	})
}
