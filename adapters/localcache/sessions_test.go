package localcache

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

var t0 = time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func session(hash string, user int64) accounts.Session {
	return accounts.Session{TokenHash: hash, UserID: user, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func user(id int64) accounts.User {
	return accounts.User{ID: id, Name: fmt.Sprint("user ", id), IsActive: true}
}

func newTrusted(size int, ttl time.Duration) (*Sessions, *clock) {
	clk := &clock{now: t0}
	c := NewSessionsWithClock(size, ttl, clk.Now)
	c.Trust(Forever)
	return c, clk
}

func TestSessionsHitAndMiss(t *testing.T) {
	t.Parallel()
	c, _ := newTrusted(10, 30*time.Second)
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(c.Ticket(), session("a", 1), user(1))
	s, u, ok := c.Get("a")
	if !ok || s != session("a", 1) || u.ID != 1 || u.Name != "user 1" {
		t.Fatalf("Get = %+v, %+v, %v", s, u, ok)
	}
	c.Put(c.Ticket(), session("b", 2), user(1)) // a user that is not the session's
	if _, _, ok := c.Get("b"); ok {
		t.Fatal("stored a session with another user's record")
	}
}

func TestSessionsExpiry(t *testing.T) {
	t.Parallel()
	t.Run("after the TTL", func(t *testing.T) {
		c, clk := newTrusted(10, 30*time.Second)
		c.Put(c.Ticket(), session("a", 1), user(1))
		clk.add(30*time.Second - time.Nanosecond)
		if _, _, ok := c.Get("a"); !ok {
			t.Fatal("miss before the TTL")
		}
		clk.add(time.Nanosecond)
		if _, _, ok := c.Get("a"); ok {
			t.Fatal("hit at the TTL")
		}
		if n, _ := c.Len(); n != 0 {
			t.Fatalf("expired entry still held: %d sessions", n)
		}
	})
	t.Run("never past the session's expiry", func(t *testing.T) {
		c, clk := newTrusted(10, time.Hour)
		s := session("a", 1)
		s.ExpiresAt = t0.Add(time.Second)
		c.Put(c.Ticket(), s, user(1))
		clk.add(time.Second)
		if _, _, ok := c.Get("a"); ok {
			t.Fatal("hit after the session expired")
		}
	})
	t.Run("disabled by a zero TTL or size", func(t *testing.T) {
		for _, c := range []*Sessions{NewSessions(0, time.Minute), NewSessions(10, 0)} {
			c.Trust(Forever)
			c.Put(c.Ticket(), session("a", 1), user(1))
			if _, _, ok := c.Get("a"); ok {
				t.Fatal("a disabled cache hit")
			}
		}
	})
}

func TestSessionsEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c, _ := newTrusted(3, time.Minute)
	for i := range int64(3) {
		c.Put(c.Ticket(), session(fmt.Sprint(i), i), user(i))
	}
	c.Get("0") // 1 is now the least recently used
	c.Put(c.Ticket(), session("3", 3), user(3))
	for _, tt := range []struct {
		hash string
		want bool
	}{{"0", true}, {"1", false}, {"2", true}, {"3", true}} {
		if _, _, ok := c.Get(tt.hash); ok != tt.want {
			t.Errorf("Get(%s) hit = %v, want %v", tt.hash, ok, tt.want)
		}
	}
	if s, u := c.Len(); s != 3 || u != 3 {
		t.Fatalf("Len = %d sessions, %d users; want 3, 3", s, u)
	}
}

func TestSessionsInvalidate(t *testing.T) {
	t.Parallel()
	c, _ := newTrusted(10, time.Minute)
	tk := c.Ticket()
	c.Put(tk, session("a", 1), user(1))
	c.Put(tk, session("b", 1), user(1))
	c.Put(tk, session("c", 2), user(2))

	c.Invalidate(ports.Invalidation{Sessions: []string{"a"}})
	if _, _, ok := c.Get("a"); ok {
		t.Error("revoked session still served")
	}
	if _, _, ok := c.Get("b"); !ok {
		t.Error("another session of the user was dropped")
	}
	c.Invalidate(ports.Invalidation{Users: []int64{1}})
	if _, _, ok := c.Get("b"); ok {
		t.Error("session served with a changed user's old record")
	}
	if _, _, ok := c.Get("c"); !ok {
		t.Error("another user's session was dropped")
	}
}

func TestSessionsTicketRefusesStalePut(t *testing.T) {
	t.Parallel()
	for name, race := range map[string]func(*Sessions){
		"invalidation": func(c *Sessions) { c.Invalidate(ports.Invalidation{Sessions: []string{"other"}}) },
		"reset":        func(c *Sessions) { c.Reset() },
		"distrust":     func(c *Sessions) { c.Distrust(); c.Trust(Forever) },
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := newTrusted(10, time.Minute)
			tk := c.Ticket() // a reader starts loading the session…
			race(c)          // …something is invalidated meanwhile…
			c.Put(tk, session("a", 1), user(1))
			if _, _, ok := c.Get("a"); ok {
				t.Fatal("a Put with a ticket older than an invalidation was stored")
			}
			c.Put(c.Ticket(), session("a", 1), user(1))
			if _, _, ok := c.Get("a"); !ok {
				t.Fatal("a Put with a fresh ticket was refused")
			}
		})
	}
}

func TestSessionsTrust(t *testing.T) {
	t.Parallel()
	clk := &clock{now: t0}
	c := NewSessionsWithClock(10, time.Minute, clk.Now)
	c.Put(c.Ticket(), session("a", 1), user(1))
	if _, _, ok := c.Get("a"); ok || c.Trusted() {
		t.Fatal("a new cache is trusted before its subscriber says so")
	}
	c.Trust(t0.Add(time.Second))
	c.Put(c.Ticket(), session("a", 1), user(1))
	if _, _, ok := c.Get("a"); !ok {
		t.Fatal("miss while trusted")
	}
	clk.add(time.Second) // no proof of life came
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("served after its trust lapsed")
	}
	c.Trust(t0.Add(time.Minute)) // the same subscription speaks again: nothing was missed
	if _, _, ok := c.Get("a"); !ok {
		t.Fatal("an entry did not survive a lapse without a loss")
	}
	c.Distrust()
	c.Trust(Forever)
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("entries survived Distrust")
	}
}

func TestSessionsConcurrent(t *testing.T) {
	t.Parallel()
	c, _ := newTrusted(64, time.Minute)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				h := fmt.Sprint((g*7 + i) % 100)
				id := int64(i % 10)
				switch i % 5 {
				case 0:
					c.Invalidate(ports.Invalidation{Sessions: []string{h}, Users: []int64{id}})
				case 1:
					c.Reset()
				default:
					c.Put(c.Ticket(), session(h, id), user(id))
					if s, u, ok := c.Get(h); ok && s.UserID != u.ID {
						t.Errorf("session of %d served with user %d", s.UserID, u.ID)
					}
				}
			}
		})
	}
	wg.Wait()
	if s, u := c.Len(); s > 64 || u > 64 {
		t.Fatalf("Len = %d, %d; above the bound 64", s, u)
	}
}

func BenchmarkSessionsGet(b *testing.B) {
	c, _ := newTrusted(10000, time.Minute)
	for i := range int64(10000) {
		c.Put(c.Ticket(), session(fmt.Sprintf("%064d", i), i), user(i))
	}
	h := fmt.Sprintf("%064d", 42)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := c.Get(h); !ok {
			b.Fatal("miss")
		}
	}
}
