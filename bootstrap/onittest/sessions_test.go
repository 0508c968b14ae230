package onittest_test

// Instance-local sessions across a deployment: two app instances share one
// MySQL and one Redis, as two tasks behind a load balancer do, and a
// revocation on one must reach the other's in-memory copy within a second.

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/env"
)

// sessRevocationDeadline is the promise: revoked everywhere within one second.
const sessRevocationDeadline = time.Second

// sessInstance is a running app with its local session cache in reach.
type sessInstance struct {
	*onittest.App
	local *localcache.Sessions
}

func newSessInstance(t *testing.T, opts ...onittest.Option) sessInstance {
	t.Helper()
	var local *localcache.Sessions
	app := onittest.New(t, append(opts, onittest.WithFx(fx.Populate(&local)))...)
	in := sessInstance{App: app, local: local}
	sessWaitFor(t, 5*time.Second, "the sessInstance subscribes to revocations", local.Trusted)
	return in
}

// sessPassword is every test user's password.
const sessPassword = "correct horse battery staple"

// sessUser registers a fresh user on app and returns the email.
func sessUser(t *testing.T, app sessInstance) string {
	t.Helper()
	email := fmt.Sprintf("ada-%d@example.com", time.Now().UnixNano())
	app.Register(t, email, sessPassword, "Ada Lovelace")
	return email
}

// sessPair boots two instances of one deployment.
func sessPair(t *testing.T) (a, b sessInstance) {
	t.Helper()
	a = newSessInstance(t)
	b = newSessInstance(t, onittest.WithDB(a.DB), onittest.WithRedis(a.Redis, a.Keys))
	return a, b
}

func sessWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// me asks for the caller's profile and returns the status and name.
func sessMe(t *testing.T, app sessInstance, token string) (int, string) {
	t.Helper()
	r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(token)...)
	var u struct {
		Name string `json:"name"`
	}
	if r.Status == http.StatusOK {
		r.JSON(t, &u)
	}
	return r.Status, u.Name
}

// warm makes app serve token from memory, and checks that it does.
func sessWarm(t *testing.T, app sessInstance, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if st, _ := sessMe(t, app, tok); st != http.StatusOK {
			t.Fatalf("GET /me: %d", st)
		}
		if _, _, ok := app.local.Get(accounts.HashToken(tok)); !ok {
			t.Fatal("the session is not in the sessInstance's local cache after a request")
		}
	}
}

func TestSessionsLogoutReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := sessPair(t)
	email := sessUser(t, a)
	gone, kept := a.Login(t, email, sessPassword), a.Login(t, email, sessPassword)
	sessWarm(t, b, gone, kept)

	if r := a.Do(t, "POST", "/api/v1/auth/logout", nil, onittest.Bearer(gone)...); r.Status != http.StatusNoContent {
		t.Fatalf("logout on A: %d %s", r.Status, r.Body)
	}
	took := sessWaitFor(t, sessRevocationDeadline, "B refuses the logged-out token", func() bool {
		st, _ := sessMe(t, b, gone)
		return st == http.StatusUnauthorized
	})
	t.Logf("B refused the token %v after the logout", took)
	if st, _ := sessMe(t, b, kept); st != http.StatusOK {
		t.Fatalf("B refuses the user's other session: %d", st)
	}
}

func TestSessionsPasswordChangeReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := sessPair(t)
	email := sessUser(t, a)
	here, there := a.Login(t, email, sessPassword), a.Login(t, email, sessPassword)
	sessWarm(t, b, here, there)

	r := a.Do(t, "POST", "/api/v1/me/password",
		map[string]string{"current_password": sessPassword, "new_password": "an entirely new passphrase"}, onittest.Bearer(here)...)
	if r.Status != http.StatusNoContent {
		t.Fatalf("password change on A: %d %s", r.Status, r.Body)
	}
	took := sessWaitFor(t, sessRevocationDeadline, "B refuses the other session", func() bool {
		st, _ := sessMe(t, b, there)
		return st == http.StatusUnauthorized
	})
	t.Logf("B refused the other session %v after the change", took)
	if st, _ := sessMe(t, b, here); st != http.StatusOK {
		t.Fatalf("B refuses the session that changed the password: %d", st)
	}
}

func TestSessionsProfileChangeReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := sessPair(t)
	email := sessUser(t, a)
	tok := a.Login(t, email, sessPassword)
	sessWarm(t, b, tok)

	if r := a.Do(t, "PATCH", "/api/v1/me", map[string]string{"name": "Ada King"}, onittest.Bearer(tok)...); r.Status != http.StatusOK {
		t.Fatalf("PATCH /me on A: %d %s", r.Status, r.Body)
	}
	sessWaitFor(t, sessRevocationDeadline, "B serves the new name", func() bool {
		_, name := sessMe(t, b, tok)
		return name == "Ada King"
	})
}

// TestSessionsLostSubscription points both instances at a Redis that is
// then stopped: each must drop and bypass its local cache, so a logout on
// one still reaches the other (through MySQL), nobody else is logged out,
// and the caches come back with Redis.
func TestSessionsLostSubscription(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	rc, err := redisstore.NewClient(env.Redis{Addrs: []string{m.Addr()}, RedisDialTimeout: 200 * time.Millisecond,
		RedisReadTimeout: 200 * time.Millisecond, RedisWriteTimeout: 200 * time.Millisecond, PoolSize: 4, DisableIdentity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	keys := redisstore.Keys{Prefix: "onit:test:lost:"}
	a := newSessInstance(t, onittest.WithRedis(rc, keys))
	b := newSessInstance(t, onittest.WithDB(a.DB), onittest.WithRedis(rc, keys))
	email := sessUser(t, a)
	gone, kept := a.Login(t, email, sessPassword), a.Login(t, email, sessPassword)
	sessWarm(t, b, gone, kept)

	m.Close()
	sessWaitFor(t, sessRevocationDeadline, "B drops its local cache", func() bool {
		n, _ := b.local.Len()
		return !b.local.Trusted() && n == 0
	})
	// Redis is down: the logout can neither tombstone nor announce.
	if r := a.Do(t, "POST", "/api/v1/auth/logout", nil, onittest.Bearer(gone)...); r.Status != http.StatusNoContent {
		t.Fatalf("logout on A with Redis down: %d %s", r.Status, r.Body)
	}
	if st, _ := sessMe(t, b, gone); st != http.StatusUnauthorized {
		t.Fatalf("B accepts a logged-out token while it cannot hear revocations: %d", st)
	}
	for range 3 {
		if st, _ := sessMe(t, b, kept); st != http.StatusOK {
			t.Fatalf("Redis down logged a live session out: %d", st)
		}
	}
	if _, _, ok := b.local.Get(accounts.HashToken(kept)); ok {
		t.Fatal("B filled its local cache without a subscription")
	}

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	sessWaitFor(t, 5*time.Second, "B resubscribes", b.local.Trusted)
	sessWarm(t, b, kept)
}
