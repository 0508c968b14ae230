package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("starts a session and records the login", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		f.clock.now = start.Add(time.Hour)
		l := f.login(t, "  ADA@x.com")
		if len(l.Token) < 32 {
			t.Fatalf("token %q is too short", l.Token)
		}
		wantSess := accounts.Session{TokenHash: accounts.HashToken(l.Token), UserID: u.ID,
			CreatedAt: f.clock.now, ExpiresAt: f.clock.now.Add(sessionAge)}
		if l.Session != wantSess {
			t.Fatalf("session = %+v, want %+v", l.Session, wantSess)
		}
		if l.User.LastLogin == nil || !l.User.LastLogin.Equal(f.clock.now) {
			t.Fatalf("LastLogin = %v, want %v", l.User.LastLogin, f.clock.now)
		}
		stored, err := f.sessions.ByHash(ctx, wantSess.TokenHash)
		if err != nil || stored != wantSess {
			t.Fatalf("stored session = %+v, %v", stored, err)
		}
		if strings.Contains(fmt.Sprint(stored), l.Token) {
			t.Fatal("the token itself was stored")
		}
	})

	t.Run("tokens differ per login", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		if a, b := f.login(t, "ada@x.com"), f.login(t, "ada@x.com"); a.Token == b.Token {
			t.Fatal("two logins got the same token")
		}
	})

	t.Run("unknown email and wrong password look the same and cost a hash", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		inactive := f.register(t, "off@x.com")
		_, _ = f.users.Update(ctx, inactive.ID, func(u *accounts.User) error { u.IsActive = false; return nil })
		cases := []struct{ name, email, pw string }{
			{"unknown email", "nobody@x.com", goodPassword},
			{"wrong password", "ada@x.com", "wrong password!"},
			{"inactive user", "off@x.com", goodPassword},
		}
		for _, c := range cases {
			before := f.hasher.verifies.Load()
			_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: c.email, Password: c.pw, ClientAddr: "192.0.2.1"})
			if !errors.Is(err, accounts.ErrBadCredentials) {
				t.Errorf("%s: Login = %v, want exactly ErrBadCredentials", c.name, err)
			}
			if n := f.hasher.verifies.Load() - before; n != 1 {
				t.Errorf("%s: %d hashes spent, want 1", c.name, n)
			}
		}
	})

	t.Run("failures throttle the account with a retry time", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		for range 3 {
			_, _ = f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "nope-nope", ClientAddr: "a"})
		}
		f.clock.now = start.Add(time.Minute)
		_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ADA@x.com", Password: goodPassword, ClientAddr: "b"})
		de, ok := domain.As(err)
		if !ok || de.Kind != domain.KindRateLimited || de.RetryAfter != 14*time.Minute {
			t.Fatalf("Login = %#v, want rate limited for 14m", err)
		}
		verifies := f.hasher.verifies.Load()
		f.clock.now = start.Add(15 * time.Minute)
		f.login(t, "ada@x.com")
		if f.hasher.verifies.Load() != verifies+1 {
			t.Fatal("throttled attempt spent a hash")
		}
	})

	t.Run("throttle outage falls back to the same limits in memory", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		f.throttle.down.Store(true)
		f.login(t, "ada@x.com")
		for range 3 {
			_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "nope-nope"})
			if !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("Login = %v, want ErrBadCredentials", err)
			}
		}
		_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword})
		if !domain.IsKind(err, domain.KindRateLimited) {
			t.Fatalf("Login after the limit during an outage = %v, want rate limited", err)
		}
	})

	t.Run("outdated hash is upgraded on login", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		f.hasher.iterations = 3
		l := f.login(t, "ada@x.com")
		if want := "fake$3$" + goodPassword; l.User.PasswordHash != want {
			t.Fatalf("hash = %q, want %q", l.User.PasswordHash, want)
		}
		stored, _ := f.users.ByID(ctx, u.ID)
		if stored.PasswordHash != l.User.PasswordHash || stored.LastLogin == nil {
			t.Fatalf("stored user = %+v", stored)
		}
	})
}
