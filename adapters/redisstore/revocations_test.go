package redisstore_test

import (
	"context"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

func TestInvalidationFormat(t *testing.T) {
	t.Parallel()
	hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	round := []ports.Invalidation{
		{Sessions: []string{hash}},
		{Users: []int64{42}},
		{Sessions: []string{hash, "ab"}, Users: []int64{1, 1 << 62}},
		{Projects: []ports.ObjectVersion{{ID: 3, Version: 9}}, Tasks: []ports.ObjectVersion{{ID: 5, Version: ports.Deleted}, {ID: 6, Version: 1}}},
		{Users: []int64{2}, Tasks: []ports.ObjectVersion{{ID: 1 << 62, Version: 2}}},
	}
	for _, inv := range round {
		msg := redisstore.EncodeInvalidation(inv)
		got, all := redisstore.DecodeInvalidation(msg)
		if all || !reflect.DeepEqual(got, inv) {
			t.Errorf("%q decodes to %+v (all %v), want %+v", msg, got, all, inv)
		}
	}
	if msg := redisstore.EncodeInvalidation(ports.Invalidation{Sessions: []string{"ab"}, Users: []int64{7}}); msg != "1 sab u7" {
		t.Errorf("message %q, want %q (the format other releases read)", msg, "1 sab u7")
	}
	// Anything this release cannot read must drop everything, never nothing.
	if msg := redisstore.EncodeInvalidation(ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 3, Version: 9}}, Tasks: []ports.ObjectVersion{{ID: 5, Version: 2}}}); msg != "1 p3:9 t5:2" {
		t.Errorf("message %q, want %q", msg, "1 p3:9 t5:2")
	}
	for _, msg := range []string{"", "2 sab", "1 xab", "1 u", "1 u12x", "1 s", "1 *", "10 sab", "1sab",
		"1 p", "1 p3", "1 p3:", "1 t:4", "1 t3:x", "1 p3:4:5"} {
		if inv, all := redisstore.DecodeInvalidation(msg); !all {
			t.Errorf("%q decodes to %+v; want everything dropped", msg, inv)
		}
	}
}

// sinkCache is a trusted-on-subscribe local cache holding one session, so
// tests can watch revocations and trust arrive.
func sinkCache(t *testing.T) *localcache.Sessions {
	t.Helper()
	return localcache.NewSessions(100, time.Minute)
}

func fill(c *localcache.Sessions, hash string, user int64) {
	now := time.Now()
	c.Put(c.Ticket(), accounts.Session{TokenHash: hash, UserID: user, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		accounts.User{ID: user, IsActive: true})
}

func cached(c *localcache.Sessions, hash string) bool {
	_, _, ok := c.Get(hash)
	return ok
}

// eventually polls cond every 5 ms until it holds or within passes; it
// returns how long it took.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func startRevocations(t *testing.T, c redis.UniversalClient, k redisstore.Keys, sink redisstore.RevocationSink,
	opt redisstore.RevocationOptions) *redisstore.Revocations {
	t.Helper()
	r := redisstore.NewRevocations(c, k, sink, opt, nil)
	r.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r
}

func TestRevocationsReachEveryInstance(t *testing.T) {
	t.Parallel()
	c, k := redistest.New(t)
	a, b := sinkCache(t), sinkCache(t)
	ra := startRevocations(t, c, k, a, redisstore.RevocationOptions{})
	startRevocations(t, c, k, b, redisstore.RevocationOptions{})
	eventually(t, 5*time.Second, "both subscribed", func() bool { return a.Trusted() && b.Trusted() })

	for _, s := range []*localcache.Sessions{a, b} {
		fill(s, "s1", 1)
		fill(s, "s2", 2)
		fill(s, "s3", 3)
	}
	if err := ra.Publish(context.Background(), ports.Invalidation{Sessions: []string{"s1"}, Users: []int64{3}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for name, s := range map[string]*localcache.Sessions{"publisher": a, "other": b} {
		took := eventually(t, time.Second, name+" drops the revoked session", func() bool { return !cached(s, "s1") })
		t.Logf("%s: revoked after %v", name, took)
		if cached(s, "s3") {
			t.Errorf("%s: session of a changed user still served", name)
		}
		if !cached(s, "s2") {
			t.Errorf("%s: an unrelated session was dropped", name)
		}
	}
}

func TestRevocationsLostSubscriptionDropsTheCache(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c := client(t, m.Addr())
	k := redisstore.Keys{Prefix: "onit:test:"}
	cache := sinkCache(t)
	// A long TrustFor: only noticing the loss, not the lapse of trust, can
	// turn the cache off within the second below.
	r := startRevocations(t, c, k, cache, redisstore.RevocationOptions{TrustFor: time.Minute})
	eventually(t, 5*time.Second, "subscribed", cache.Trusted)
	fill(cache, "s1", 1)
	if !cached(cache, "s1") {
		t.Fatal("not cached while subscribed")
	}

	m.Close() // Redis goes away: the connection is reset
	eventually(t, time.Second, "cache off after the connection reset", func() bool { return !cache.Trusted() })
	if n, _ := cache.Len(); n != 0 {
		t.Fatalf("%d entries kept after the subscription was lost", n)
	}
	fill(cache, "s2", 2)
	if cached(cache, "s1") || cached(cache, "s2") {
		t.Fatal("served from memory without a subscription")
	}
	err := r.Publish(context.Background(), ports.Invalidation{Sessions: []string{"s1"}})
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Publish with Redis down = %v, want Unavailable", err)
	}

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "resubscribed", cache.Trusted)
	if n, _ := cache.Len(); n != 0 {
		t.Fatalf("%d entries survived the outage", n)
	}
	fill(cache, "s3", 3)
	if !cached(cache, "s3") {
		t.Fatal("cache not back in use after resubscribing")
	}
}

func TestRevocationsSilentConnectionLosesTrust(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	p := newProxy(t, m.Addr())
	cache := sinkCache(t)
	opt := redisstore.RevocationOptions{PingEvery: 100 * time.Millisecond, TrustFor: 400 * time.Millisecond}
	startRevocations(t, client(t, p.addr()), redisstore.Keys{Prefix: "onit:test:"}, cache, opt)
	eventually(t, 5*time.Second, "subscribed", cache.Trusted)
	time.Sleep(300 * time.Millisecond)
	if !cache.Trusted() {
		t.Fatal("trust lapsed while PONGs were arriving")
	}

	p.freeze(true) // packets vanish: no reset, no error, just silence
	// Trust ends TrustFor after the last PING that was answered, so before
	// the one-second promise whatever the scheduling slack.
	took := eventually(t, time.Second, "trust lapses without PONGs", func() bool { return !cache.Trusted() })
	t.Logf("trusted for %v after the connection went silent (TrustFor %v)", took, opt.TrustFor)
	// The silent connection is given up for a new one, which waits for the
	// path to heal like any other.
	eventually(t, 2*time.Second, "a new connection after the silence", func() bool { return p.accepted.Load() >= 2 })
	p.freeze(false)
	eventually(t, 5*time.Second, "trusted again after the connection came back", cache.Trusted)
}

func TestRevocationsRetryFailedPublish(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	k := redisstore.Keys{Prefix: "onit:test:"}
	subscriber := sinkCache(t)
	startRevocations(t, client(t, m.Addr()), k, subscriber, redisstore.RevocationOptions{})
	eventually(t, 5*time.Second, "subscribed", subscriber.Trusted)
	fill(subscriber, "s1", 1)

	// The publisher reaches Redis through a path that is down for it alone.
	p := newProxy(t, m.Addr())
	p.refuse(true)
	pub := redisstore.NewRevocations(client(t, p.addr()), k, sinkCache(t), redisstore.RevocationOptions{}, nil)
	pub.Start()
	t.Cleanup(func() { _ = pub.Stop(context.Background()) })
	if err := pub.Publish(context.Background(), ports.Invalidation{Sessions: []string{"s1"}}); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Publish = %v, want Unavailable", err)
	}
	time.Sleep(300 * time.Millisecond)
	if !cached(subscriber, "s1") {
		t.Fatal("revoked before the message could have been sent")
	}
	p.refuse(false)
	eventually(t, 3*time.Second, "the retried revocation arrives", func() bool { return !cached(subscriber, "s1") })
}

func client(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	c, err := redisstore.NewClient(env.Redis{Addrs: []string{addr}, RedisDialTimeout: 200 * time.Millisecond,
		RedisReadTimeout: 200 * time.Millisecond, RedisWriteTimeout: 200 * time.Millisecond, PoolSize: 4, DisableIdentity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// proxy forwards TCP to a Redis and can drop the path in two ways: freeze
// (bytes stop flowing, connections stay open: a silent network failure)
// and refuse (connections are closed and new ones refused).
type proxy struct {
	ln       net.Listener
	target   string
	frozen   atomic.Bool
	refused  atomic.Bool
	accepted atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); p.closeAll() })
	go p.accept()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) freeze(on bool) { p.frozen.Store(on) }

func (p *proxy) refuse(on bool) {
	p.refused.Store(on)
	if on {
		p.closeAll()
	}
}

func (p *proxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refused.Load() {
			_ = in.Close()
			continue
		}
		p.accepted.Add(1)
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// pipe copies src to dst; while frozen, what it reads is held back (and
// what was held is delivered on thaw, as TCP would after a healed link).
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for n > 0 && p.frozen.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or reset: pass the close on
			_ = dst.Close()
			return
		}
	}
}
