package localcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

func TestGateTrustsOnlyWhileEveryFeedVouches(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := localcache.NewSessionsWithClock(10, time.Minute, func() time.Time { return now })
	g := localcache.NewGate(c, 2)
	redis, mysql := g.Feed(0), g.Feed(1)

	redis.Trust(now.Add(time.Second))
	if c.Trusted() {
		t.Fatal("trusted with one feed of two")
	}
	mysql.Trust(now.Add(500 * time.Millisecond))
	if !c.Trusted() {
		t.Fatal("not trusted with both feeds vouching")
	}
	u := accounts.User{ID: 1, IsActive: true}
	s := accounts.Session{TokenHash: "h", UserID: 1, ExpiresAt: now.Add(time.Hour)}
	c.Put(c.Ticket(), s, u)
	now = now.Add(600 * time.Millisecond) // past the earlier proof
	if _, _, ok := c.Get("h"); ok {
		t.Fatal("served past the earliest feed's proof")
	}
	mysql.Trust(now.Add(time.Second))
	if _, _, ok := c.Get("h"); !ok {
		t.Fatal("not served again once both feeds vouch")
	}
	mysql.Distrust()
	redis.Trust(now.Add(time.Second))
	if c.Trusted() {
		t.Fatal("trusted while one feed distrusts")
	}
	if n, _ := c.Len(); n != 0 {
		t.Fatalf("%d sessions kept after a feed distrusted", n)
	}
}

type fakeRevs struct {
	err  error
	seen int
}

func (f *fakeRevs) Publish(context.Context, ports.Invalidation) error { f.seen++; return f.err }

func TestFanoutPublishesOnEveryChannel(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	a, b := &fakeRevs{err: boom}, &fakeRevs{}
	err := localcache.Fanout{a, b}.Publish(context.Background(), ports.Invalidation{Users: []int64{1}})
	if !errors.Is(err, boom) || a.seen != 1 || b.seen != 1 {
		t.Fatalf("Publish = %v, sent %d and %d; want boom and both sent", err, a.seen, b.seen)
	}
}
