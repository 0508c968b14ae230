package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("valid token, from the database every time", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		l := f.login(t, "ada@x.com")
		f.sessions.byHash.Store(0)
		for i := range 2 {
			got, sess, err := f.svc.Authenticate(ctx, l.Token)
			if err != nil || got.ID != u.ID || sess != l.Session {
				t.Fatalf("request %d: Authenticate = %+v, %+v, %v", i, got, sess, err)
			}
		}
		if n := f.sessions.byHash.Load(); n != 2 {
			t.Fatalf("%d session reads for two requests without a local cache, want 2", n)
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
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	l := f.loginNew(t)
	other := f.login(t, "ada@x.com")
	if err := f.svc.Logout(ctx, l.Session.TokenHash); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := f.sessions.ByHash(ctx, l.Session.TokenHash); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("row survived logout: %v", err)
	}
	if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
		t.Fatalf("Authenticate after logout = %v", err)
	}
	if _, _, err := f.svc.Authenticate(ctx, other.Token); err != nil {
		t.Fatalf("another session died: %v", err)
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
