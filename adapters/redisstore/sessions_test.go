package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// session returns a session expiring in ttl, with times at the cache's
// (and MySQL's) microsecond precision.
func session(hash string, userID int64, ttl time.Duration) accounts.Session {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return accounts.Session{TokenHash: hash, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

func TestSessionCacheSetGet(t *testing.T) {
	t.Parallel()
	// The sessions are made when each case runs, not when the table is
	// built: parallel cases wait for the package's other tests first, long
	// enough for a sub-second session to expire.
	tests := []struct {
		name string
		make func() accounts.Session
	}{
		{"two weeks", func() accounts.Session { return session("a1", 1, 14*24*time.Hour) }},
		{"large user id", func() accounts.Session { return session("a2", 1<<62, time.Hour) }},
		{"sub-second", func() accounts.Session { return session("a3", 7, 1500*time.Millisecond) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt := struct {
				name string
				s    accounts.Session
			}{tt.name, tt.make()}
			ctx := context.Background()
			c, k := redistest.New(t)
			cache := redisstore.NewSessionCache(c, k)
			most := time.Until(tt.s.ExpiresAt)
			if err := cache.Set(ctx, tt.s); err != nil {
				t.Fatalf("Set: %v", err)
			}
			got, ok, err := cache.Get(ctx, tt.s.TokenHash)
			if err != nil || !ok {
				t.Fatalf("Get = %v, %v", ok, err)
			}
			if got != tt.s {
				t.Errorf("Get = %+v, want %+v", got, tt.s)
			}
			ttl, err := c.PTTL(ctx, k.Session(tt.s.TokenHash)).Result()
			if err != nil {
				t.Fatal(err)
			}
			// miniredis's TTLs stand still, real ones run: between the two.
			if least := time.Until(tt.s.ExpiresAt) - time.Second; ttl <= 0 || ttl > most || ttl < least {
				t.Errorf("PTTL %v, want within [%v, %v]: the key must expire with the session", ttl, least, most)
			}
			if n := redistest.CheckTTLs(t, c, k); n != 1 {
				t.Errorf("%d keys written, want 1", n)
			}
		})
	}
}

func TestSessionCacheMissesAndSkips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	cache := redisstore.NewSessionCache(c, k)

	if _, ok, err := cache.Get(ctx, "never-set"); ok || err != nil {
		t.Errorf("Get of absent = %v, %v; want a miss without error", ok, err)
	}
	expired := session("old", 1, -time.Second)
	if err := cache.Set(ctx, expired); err != nil {
		t.Fatalf("Set of expired: %v", err)
	}
	if _, ok, err := cache.Get(ctx, "old"); ok || err != nil {
		t.Errorf("expired session was cached: %v, %v", ok, err)
	}
	if n := redistest.CheckTTLs(t, c, k); n != 0 {
		t.Errorf("%d keys written, want none", n)
	}
}

func TestSessionCacheDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cached []string
		del    []string
		kept   []string
	}{
		{"none", []string{"a"}, nil, []string{"a"}},
		{"one", []string{"a", "b"}, []string{"a"}, []string{"b"}},
		{"several, some absent", []string{"a", "b", "c"}, []string{"a", "c", "zz"}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, k := redistest.New(t)
			cache := redisstore.NewSessionCache(c, k)
			for i, h := range tt.cached {
				if err := cache.Set(ctx, session(h, int64(i+1), time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			if err := cache.Delete(ctx, tt.del...); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			for _, h := range tt.del {
				if _, ok, err := cache.Get(ctx, h); ok || err != nil {
					t.Errorf("Get(%s) after Delete = %v, %v; want a miss", h, ok, err)
				}
				// A request that read the session from MySQL before the
				// revocation must not put it back.
				if err := cache.Set(ctx, session(h, 99, time.Hour)); err != nil {
					t.Fatal(err)
				}
				if _, ok, _ := cache.Get(ctx, h); ok {
					t.Errorf("Set after Delete brought %s back", h)
				}
				ttl, err := c.PTTL(ctx, k.Session(h)).Result()
				if err != nil || ttl <= 0 || ttl > time.Minute {
					t.Errorf("tombstone of %s: PTTL %v, %v; want at most a minute", h, ttl, err)
				}
			}
			for _, h := range tt.kept {
				if _, ok, err := cache.Get(ctx, h); !ok || err != nil {
					t.Errorf("Get(%s) = %v, %v; want a hit", h, ok, err)
				}
			}
			redistest.CheckTTLs(t, c, k)
		})
	}
}

func TestSessionCacheSetKeepsExisting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.New(t)
	cache := redisstore.NewSessionCache(c, k)
	first := session("h", 1, time.Hour)
	if err := cache.Set(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.UserID = 2
	if err := cache.Set(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := cache.Get(ctx, "h"); got != first {
		t.Errorf("Get = %+v, want the first %+v", got, first)
	}
}

func TestSessionCacheForeignValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		wantErr bool
	}{
		{"newer format", "\x07whatever", false},
		{"empty", "", false},
		{"truncated", "\x01\x02", true},
		{"trailing bytes", "\x01\x02\x02\x02\x00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, k := redistest.New(t)
			if err := c.Set(ctx, k.Session("h"), tt.value, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			_, ok, err := redisstore.NewSessionCache(c, k).Get(ctx, "h")
			if ok || (err != nil) != tt.wantErr {
				t.Fatalf("Get = %v, %v; want a miss with error %v", ok, err, tt.wantErr)
			}
			if err != nil && !domain.IsKind(err, domain.KindInternal) {
				t.Errorf("kind %v, want internal", domain.KindOf(err))
			}
		})
	}
}

func TestSessionCacheDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, k := redistest.NewDown(t)
	cache := redisstore.NewSessionCache(c, k)
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, _, err := cache.Get(ctx, "h"); return err }},
		{"set", func() error { return cache.Set(ctx, session("h", 1, time.Hour)) }},
		{"delete", func() error { return cache.Delete(ctx, "h", "i") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.call()
			if !domain.IsKind(err, domain.KindUnavailable) {
				t.Errorf("err = %v, want kind unavailable", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to fail; callers wait for it", d)
			}
		})
	}
}
