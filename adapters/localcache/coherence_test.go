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

func TestGateCountsLapses(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		after   time.Duration // the clock moves this far first
		feed    int
		trust   time.Duration // trust until now+trust; 0: distrust
		trusted bool          // the gate's answer after the step
		lapses  uint64
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"first trust is no lapse", []step{
			{0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0}}},
		{"distrust before any trust is no lapse", []step{
			{0, 0, 0, false, 0}, {0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0}}},
		{"renewed in time", []step{
			{0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0},
			{500 * time.Millisecond, 1, time.Second, true, 0}, {0, 0, time.Second, true, 0}}},
		{"a proof runs out, then is renewed", []step{
			{0, 0, 10 * time.Second, false, 0}, {0, 1, time.Second, true, 0},
			{2 * time.Second, 1, time.Second, true, 1}}},
		{"a feed distrusts, then both vouch again", []step{
			{0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0},
			{0, 1, 0, false, 1}, {0, 1, time.Second, true, 1}}},
		{"ran out, then distrusted: one lapse", []step{
			{0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0},
			{2 * time.Second, 1, 0, false, 1}, {0, 1, time.Second, false, 1}, {0, 0, time.Second, true, 1}}},
		{"both feeds distrust: one lapse", []step{
			{0, 0, time.Second, false, 0}, {0, 1, time.Second, true, 0},
			{0, 0, 0, false, 1}, {0, 1, 0, false, 1}}},
	} {
		now := start
		c := localcache.NewSessionsWithClock(10, time.Minute, func() time.Time { return now })
		g := localcache.NewGateWithClock(c, 2, func() time.Time { return now })
		for i, s := range tt.steps {
			now = now.Add(s.after)
			if s.trust == 0 {
				g.Feed(s.feed).Distrust()
			} else {
				g.Feed(s.feed).Trust(now.Add(s.trust))
			}
			if g.Trusted() != s.trusted || c.Trusted() != s.trusted || g.Lapses() != s.lapses {
				t.Errorf("%s, step %d: gate trusted %v, cache trusted %v, lapses %d; want %v and %d",
					tt.name, i, g.Trusted(), c.Trusted(), g.Lapses(), s.trusted, s.lapses)
			}
		}
	}
}
