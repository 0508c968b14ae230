package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/env"
)

// A node that stops answering (SIGSTOP, a stalled shard) costs each call
// at most its budget, and once its breaker opens nothing at all, until a
// probe finds it back.
func TestFrozenNodeIsBoundedThenSkipped(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	p := newProxy(t, m.Addr())
	const budget = 100 * time.Millisecond
	c, err := redisstore.NewClient(env.Redis{Addrs: []string{p.addr()}, RedisDialTimeout: time.Second,
		RedisReadTimeout: time.Second, RedisWriteTimeout: time.Second, PoolSize: 4, DisableIdentity: true,
		CommandTimeout: budget, BreakerFailures: 3, BreakerOpen: 500 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	p.freeze(true)
	for i := range 3 {
		start := time.Now()
		err := c.Get(ctx, "k").Err()
		took := time.Since(start)
		if err == nil {
			t.Fatalf("call %d succeeded through a frozen path", i)
		}
		// One retry after a short backoff may run inside the budget; a
		// second budget would mean the bound is per attempt.
		if took > budget+80*time.Millisecond {
			t.Errorf("call %d took %v, budget %v", i, took, budget)
		}
	}
	start := time.Now()
	err = c.Get(ctx, "k").Err()
	if !errors.Is(err, redisstore.ErrNodeSkipped) {
		t.Fatalf("after 3 failures: %v, want ErrNodeSkipped", err)
	}
	if took := time.Since(start); took > 5*time.Millisecond {
		t.Errorf("a skipped node cost %v", took)
	}

	p.freeze(false)
	eventually(t, 3*time.Second, "the node is used again after a successful probe", func() bool {
		v, err := c.Get(ctx, "k").Result()
		return err == nil && v == "v"
	})
}

// Replies prove a node alive: a miss or an error reply never opens its
// breaker, and a request that ends early is not held against the node.
func TestRepliesAndCancellationsDoNotOpenTheBreaker(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c, err := redisstore.NewClient(env.Redis{Addrs: []string{m.Addr()}, RedisDialTimeout: time.Second,
		RedisReadTimeout: time.Second, RedisWriteTimeout: time.Second, PoolSize: 4, DisableIdentity: true,
		CommandTimeout: time.Second, BreakerFailures: 2, BreakerOpen: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for range 5 {
		if err := c.Get(ctx, "absent").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET absent = %v", err)
		}
		if err := c.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil {
			t.Fatal("an unknown command succeeded")
		}
		_ = c.Get(canceled, "k").Err()
	}
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("the breaker opened on replies or cancellations: %v", err)
	}
}

type errorCounter struct{ errs []string }

func (c *errorCounter) ObserveCommand(name string, _ time.Duration, err error) {
	if err != nil {
		c.errs = append(c.errs, name+": "+err.Error())
	}
}

// A script's first EVALSHA on a node answers NOSCRIPT and go-redis falls
// back to EVAL: routine, so the error metric must not count it.
func TestNoScriptIsNotAnError(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c, err := redisstore.NewClient(env.Redis{Addrs: []string{m.Addr()}, RedisDialTimeout: time.Second,
		RedisReadTimeout: time.Second, RedisWriteTimeout: time.Second, PoolSize: 2, DisableIdentity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	var obs errorCounter
	c.AddHook(redisstore.NewHook(&obs))
	if err := redis.NewScript(`return 1`).Run(context.Background(), c, []string{"k"}).Err(); err != nil {
		t.Fatal(err)
	}
	if len(obs.errs) != 0 {
		t.Fatalf("errors counted: %v", obs.errs)
	}
}
