package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("valid token, from the cache and after a flush", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		l := f.login(t, "ada@x.com")
		for _, step := range []string{"hit", "flushed", "refilled"} {
			if step == "flushed" {
				_ = f.cache.Delete(ctx, l.Session.TokenHash)
			}
			got, sess, err := f.svc.Authenticate(ctx, l.Token)
			// The list's details (ID, user agent, last use) live in the
			// repository only; what authentication needs is compared.
			if err != nil || got.ID != u.ID || sess.TokenHash != l.Session.TokenHash || sess.UserID != l.Session.UserID ||
				!sess.CreatedAt.Equal(l.Session.CreatedAt) || !sess.ExpiresAt.Equal(l.Session.ExpiresAt) {
				t.Fatalf("%s: Authenticate = %+v, %+v, %v", step, got, sess, err)
			}
			if _, hit, _ := f.cache.Get(ctx, l.Session.TokenHash); !hit {
				t.Fatalf("%s: session not in the cache afterwards", step)
			}
		}
	})

	t.Run("cache outage falls back to the database", func(t *testing.T) {
		f := newFixture(t)
		l := f.loginNew(t)
		f.cache.down.Store(true)
		if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
	})

	t.Run("expires at the instant of expiry", func(t *testing.T) {
		f := newFixture(t)
		l := f.loginNew(t)
		f.clock.now = l.Session.ExpiresAt.Add(-time.Nanosecond)
		if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
			t.Fatalf("just before expiry: %v", err)
		}
		f.clock.now = l.Session.ExpiresAt
		if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("at expiry: %v, want ErrSessionInvalid", err)
		}
		_ = f.cache.Delete(ctx, l.Session.TokenHash)
		if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("at expiry from the database: %v, want ErrSessionInvalid", err)
		}
	})

	invalid := []struct {
		name  string
		token func(f *fixture, l appaccounts.Login) string
	}{
		{"empty", func(*fixture, appaccounts.Login) string { return "" }},
		{"unknown", func(*fixture, appaccounts.Login) string { return "not-a-token" }},
		{"the stored hash instead of the token", func(_ *fixture, l appaccounts.Login) string { return l.Session.TokenHash }},
		{"deactivated user", func(f *fixture, l appaccounts.Login) string {
			_, _ = f.users.Update(ctx, l.User.ID, func(u *accounts.User) error { u.IsActive = false; return nil })
			return l.Token
		}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			l := f.loginNew(t)
			_, _, err := f.svc.Authenticate(ctx, tt.token(f, l))
			if !errors.Is(err, accounts.ErrSessionInvalid) || domain.KindOf(err) != domain.KindUnauthenticated {
				t.Fatalf("Authenticate = %v, want ErrSessionInvalid", err)
			}
		})
	}

	t.Run("a logout racing a cache refill wins", func(t *testing.T) {
		f := newFixture(t)
		l := f.loginNew(t)
		_ = f.cache.Delete(ctx, l.Session.TokenHash)
		// The logout lands after Authenticate read the row, before it caches it.
		f.sessions.afterByHash = func() {
			if err := f.svc.Logout(ctx, l.Session.TokenHash); err != nil {
				t.Errorf("Logout: %v", err)
			}
		}
		if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("Authenticate = %v, want ErrSessionInvalid", err)
		}
		if _, hit, _ := f.cache.Get(ctx, l.Session.TokenHash); hit {
			t.Fatal("the revoked session was put back into the cache")
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, cacheDown := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache down %v", cacheDown), func(t *testing.T) {
			f := newFixture(t)
			l := f.loginNew(t)
			other := f.login(t, "ada@x.com")
			f.cache.down.Store(cacheDown)
			if err := f.svc.Logout(ctx, l.Session.TokenHash); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			f.cache.down.Store(false)
			if _, err := f.sessions.ByHash(ctx, l.Session.TokenHash); !domain.IsKind(err, domain.KindNotFound) {
				t.Fatalf("row survived logout: %v", err)
			}
			if _, hit, _ := f.cache.Get(ctx, l.Session.TokenHash); hit != cacheDown {
				t.Fatalf("cached after logout = %v, want %v", hit, cacheDown)
			}
			if !cacheDown {
				if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
					t.Fatalf("Authenticate after logout = %v", err)
				}
			}
			if _, _, err := f.svc.Authenticate(ctx, other.Token); err != nil {
				t.Fatalf("another session died: %v", err)
			}
		})
	}
}

func TestClearExpiredSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	old := f.loginNew(t)
	f.clock.now = start.Add(sessionAge / 2)
	fresh := f.login(t, "ada@x.com")
	f.clock.now = old.Session.ExpiresAt
	n, err := f.svc.ClearExpiredSessions(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ClearExpiredSessions = %d, %v; want 1", n, err)
	}
	if _, err := f.sessions.ByHash(ctx, fresh.Session.TokenHash); err != nil {
		t.Fatalf("live session removed: %v", err)
	}
}
