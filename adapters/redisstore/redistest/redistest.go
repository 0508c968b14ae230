// Package redistest gives tests a Redis to talk to: the real server named by
// ONIT_TEST_REDIS_ADDR when there is one, an in-process miniredis otherwise.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/env"
)

// New returns a client and a key scheme private to t. Against a real server
// the keys get a random prefix, so parallel tests and packages never see
// each other's keys, and the prefix's keys are deleted when t ends. An
// unreachable server fails t when ONIT_TEST_REQUIRE_SERVICES is set (CI),
// and falls back to miniredis otherwise.
func New(t testing.TB) (redis.UniversalClient, redisstore.Keys) {
	t.Helper()
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatalf("redistest: reading test services: %v", err)
	}
	keys := redisstore.Keys{Prefix: "onit:test:" + randomHex(t) + ":"}
	if ts.RedisAddr != "" {
		c, err := connect(ts.RedisAddr)
		if err == nil {
			t.Cleanup(func() { cleanup(t, c, keys.Prefix) })
			return c, keys
		}
		if ts.Require {
			t.Fatalf("redistest: Redis at %s: %v", ts.RedisAddr, err)
		}
		t.Logf("redistest: Redis at %s unreachable (%v); using miniredis", ts.RedisAddr, err)
	}
	m := miniredis.RunT(t)
	m.ClockTTL(true) // TTLs run on the wall clock, as on Redis
	c, err := redisstore.NewClient(settings(m.Addr(), time.Second), nil)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, keys
}

// NewDown returns a client of a Redis that is not there: its address is a
// port that was just closed, so every command fails at once with
// "connection refused", for testing outage behaviour.
func NewDown(t testing.TB) (redis.UniversalClient, redisstore.Keys) {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := redisstore.NewClient(settings(addr, 200*time.Millisecond), nil)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, redisstore.Keys{Prefix: "onit:test:down:"}
}

// settings goes through redisstore.NewClient, so tests use the client
// options production uses.
func settings(addr string, timeout time.Duration) env.Redis {
	return env.Redis{
		Addrs:             []string{addr},
		RedisDialTimeout:  timeout,
		RedisReadTimeout:  timeout,
		RedisWriteTimeout: timeout,
		PoolSize:          4,
		// As in production; miniredis, like ElastiCache, rejects CLIENT SETINFO.
		DisableIdentity: true,
	}
}

func connect(addr string) (redis.UniversalClient, error) {
	c, err := redisstore.NewClient(settings(addr, 2*time.Second), nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// cleanup deletes the test's keys. The prefix is hex, so it needs no glob
// escaping; this runs on a single test server, where a multi-key DEL is fine.
func cleanup(t testing.TB, c redis.UniversalClient, prefix string) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("redistest: scanning %s*: %v", prefix, err)
		return
	}
	if len(batch) > 0 {
		if err := c.Del(ctx, batch...).Err(); err != nil {
			t.Errorf("redistest: deleting %d keys: %v", len(batch), err)
		}
	}
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return hex.EncodeToString(b)
}

// CheckTTLs fails t for every key under k's prefix that has no TTL (every
// key Onit writes must expire: production has 1 GB) and returns how many
// keys there are, so tests can also check that something was written.
func CheckTTLs(t testing.TB, c redis.UniversalClient, k redisstore.Keys) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	iter := c.Scan(ctx, 0, k.Plain("*"), 500).Iterator()
	for iter.Next(ctx) {
		n++
		ttl, err := c.PTTL(ctx, iter.Val()).Result()
		if err != nil {
			t.Errorf("PTTL %s: %v", iter.Val(), err)
		} else if ttl <= 0 {
			t.Errorf("key %s has no TTL (PTTL %d)", iter.Val(), ttl)
		}
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scanning %s: %v", k.Plain("*"), err)
	}
	return n
}
