package accounts_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/memory"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// fleet is two instances of the service over one set of stores (MySQL and
// Redis twins), each with its own local session cache, joined by an
// in-process revocation bus.
type fleet struct {
	*fixture
	users  *countingUsers
	a, b   *appaccounts.Service
	localA *localcache.Sessions
	localB *localcache.Sessions
}

func newFleet(t *testing.T, revs ports.Revocations) *fleet {
	t.Helper()
	f := newFixture(t)
	fl := &fleet{fixture: f, users: &countingUsers{UserRepository: f.users}}
	bus := memory.NewRevocationBus()
	if revs == nil {
		revs = bus
	}
	instance := func() (*appaccounts.Service, *localcache.Sessions) {
		local := localcache.NewSessionsWithClock(100, 30*1e9, f.clock.Now)
		bus.Subscribe(local)
		svc := appaccounts.New(f.cfg, fl.users, f.sessions, f.throttle, f.hasher, f.uow, f.clock, f.random, nil)
		svc.UseLocalSessions(local, revs)
		return svc, local
	}
	fl.a, fl.localA = instance()
	fl.b, fl.localB = instance()
	return fl
}

// roundTrips returns the MySQL session and user reads since the last call.
func (fl *fleet) roundTrips() (sessions, users int64) {
	return fl.sessions.byHash.Swap(0), fl.users.byID.Swap(0)
}

func TestLocalSessionsAuthenticateWithoutRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fl := newFleet(t, nil)
	l := fl.loginNew(t)
	fl.roundTrips()

	for i, want := range [][2]int64{{1, 1}, {0, 0}, {0, 0}} {
		u, sess, err := fl.a.Authenticate(ctx, l.Token)
		if err != nil || u.ID != l.User.ID || sess != l.Session {
			t.Fatalf("request %d: Authenticate = %+v, %+v, %v", i, u, sess, err)
		}
		if r, m := fl.roundTrips(); r != want[0] || m != want[1] {
			t.Errorf("request %d: %d session reads, %d user reads; want %d, %d", i, r, m, want[0], want[1])
		}
	}

	t.Run("not past the session's expiry", func(t *testing.T) {
		fl.clock.now = l.Session.ExpiresAt
		if _, _, err := fl.a.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("Authenticate at expiry = %v, want ErrSessionInvalid", err)
		}
	})
}

func TestLocalSessionsRevocationReachesEveryInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ptr := func(s string) *string { return &s }
	const newPassword = "a much better passphrase"

	tests := []struct {
		name string
		// act runs on instance A; kept is the session that survives, if any.
		act     func(t *testing.T, fl *fleet, here, there appaccounts.Login)
		revoked bool // whether "there" stops working
		check   func(t *testing.T, u accounts.User)
	}{
		{name: "logout", revoked: true, act: func(t *testing.T, fl *fleet, _, there appaccounts.Login) {
			if err := fl.a.Logout(ctx, there.Session.TokenHash); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "password change revokes the other sessions", revoked: true, act: func(t *testing.T, fl *fleet, here, _ appaccounts.Login) {
			err := fl.a.ChangePassword(ctx, appaccounts.ChangePasswordInput{UserID: here.User.ID,
				KeepSessionHash: here.Session.TokenHash, CurrentPassword: goodPassword, NewPassword: newPassword})
			if err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, u accounts.User) {
			if u.PasswordHash != "fake$2$"+newPassword {
				t.Errorf("kept session still sees the old user record (hash %q)", u.PasswordHash)
			}
		}},
		{name: "operator's password reset", revoked: true, act: func(t *testing.T, fl *fleet, _, _ appaccounts.Login) {
			if _, err := fl.a.SetPassword(ctx, "ada@x.com", newPassword, false); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "profile change", act: func(t *testing.T, fl *fleet, here, _ appaccounts.Login) {
			if _, err := fl.a.UpdateMe(ctx, here.User.ID, appaccounts.UpdateMe{Name: ptr("Ada King"), Language: ptr("fr")}); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, u accounts.User) {
			if u.Name != "Ada King" || u.Language != "fr" {
				t.Errorf("user = %q/%q, want the new name and language", u.Name, u.Language)
			}
		}},
		{name: "revoke one session", revoked: true, act: func(t *testing.T, fl *fleet, here, there appaccounts.Login) {
			if err := fl.a.RevokeSession(ctx, here.User.ID, there.Session.TokenHash); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "revoke the other sessions", revoked: true, act: func(t *testing.T, fl *fleet, here, _ appaccounts.Login) {
			if n, err := fl.a.RevokeOtherSessions(ctx, here.User.ID, here.Session.TokenHash); err != nil || n != 1 {
				t.Fatalf("RevokeOtherSessions = %d, %v; want 1", n, err)
			}
		}},
		{name: "staff revocation", revoked: true, act: func(t *testing.T, fl *fleet, _, _ appaccounts.Login) {
			if n, err := fl.a.RevokeUserSessionsByEmail(ctx, "ADA@x.com", false); err != nil || n != 2 {
				t.Fatalf("RevokeUserSessionsByEmail = %d, %v; want 2", n, err)
			}
		}},
		{name: "a new login moves last_login", act: func(t *testing.T, fl *fleet, _, _ appaccounts.Login) {
			fl.clock.now = start.Add(1e9)
			if _, err := fl.a.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword}); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, u accounts.User) {
			if u.LastLogin == nil || !u.LastLogin.Equal(start.Add(1e9)) {
				t.Errorf("last_login = %v, want the new login's", u.LastLogin)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fl := newFleet(t, nil)
			here := fl.loginNew(t)
			there := fl.login(t, "ada@x.com")
			for _, svc := range []*appaccounts.Service{fl.a, fl.b} { // warm both instances
				for _, l := range []appaccounts.Login{here, there} {
					if _, _, err := svc.Authenticate(ctx, l.Token); err != nil {
						t.Fatal(err)
					}
				}
			}
			tt.act(t, fl, here, there)
			_, _, err := fl.b.Authenticate(ctx, there.Token)
			if tt.revoked && !errors.Is(err, accounts.ErrSessionInvalid) {
				t.Fatalf("instance B still accepts the revoked session: %v", err)
			}
			if !tt.revoked && err != nil {
				t.Fatalf("instance B refuses a live session: %v", err)
			}
			if tt.check != nil {
				u, _, err := fl.b.Authenticate(ctx, here.Token)
				if err != nil {
					t.Fatalf("instance B: %v", err)
				}
				tt.check(t, u)
			}
		})
	}
}

func TestLocalSessionsRevocationRacingAFill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fl := newFleet(t, nil)
	l := fl.loginNew(t)
	// B reads the session and, while it loads the user, A logs it out.
	fl.users.afterByID = func() {
		if err := fl.a.Logout(ctx, l.Session.TokenHash); err != nil {
			t.Errorf("Logout: %v", err)
		}
	}
	if _, _, err := fl.b.Authenticate(ctx, l.Token); err != nil {
		t.Fatalf("the request in flight: %v", err) // it began before the logout
	}
	if _, _, ok := fl.localB.Get(l.Session.TokenHash); ok {
		t.Fatal("the revoked session was put into B's local cache after its revocation")
	}
	if _, _, err := fl.b.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
		t.Fatalf("Authenticate after logout = %v, want ErrSessionInvalid", err)
	}
}

func TestLocalSessionsOutages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("an untrusted local cache is bypassed, never trusted", func(t *testing.T) {
		t.Parallel()
		fl := newFleet(t, nil)
		l := fl.loginNew(t)
		fl.localA.Distrust() // the subscription is lost
		for range 2 {
			if _, _, err := fl.a.Authenticate(ctx, l.Token); err != nil {
				t.Fatal(err)
			}
		}
		if r, m := fl.roundTrips(); r != 2 || m != 2 {
			t.Errorf("%d session reads, %d user reads for two requests; want 2, 2 (no local hits)", r, m)
		}
	})

	t.Run("a failed announcement fails nothing", func(t *testing.T) {
		t.Parallel()
		fl := newFleet(t, failingRevocations{})
		l := fl.loginNew(t)
		if _, _, err := fl.a.Authenticate(ctx, l.Token); err != nil {
			t.Fatal(err)
		}
		if err := fl.a.Logout(ctx, l.Session.TokenHash); err != nil {
			t.Fatalf("Logout = %v", err)
		}
		if _, _, err := fl.a.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("the instance that logged out still accepts the session: %v", err)
		}
	})
}

type failingRevocations struct{}

func (failingRevocations) Publish(context.Context, ports.Invalidation) error {
	return domain.Unavailable(errDown)
}

// countingUsers counts ByID reads and runs afterByID once after the next.
type countingUsers struct {
	ports.UserRepository
	byID      atomic.Int64
	mu        sync.Mutex
	afterByID func()
}

func (u *countingUsers) ByID(ctx context.Context, id int64) (accounts.User, error) {
	u.byID.Add(1)
	got, err := u.UserRepository.ByID(ctx, id)
	u.mu.Lock()
	hook := u.afterByID
	u.afterByID = nil
	u.mu.Unlock()
	if hook != nil {
		hook()
	}
	return got, err
}

func TestRevokeSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("one user cannot end another's session", func(t *testing.T) {
		t.Parallel()
		fl := newFleet(t, nil)
		ada := fl.loginNew(t)
		fl.register(t, "bob@x.com")
		bob := fl.login(t, "bob@x.com")
		if err := fl.a.RevokeSession(ctx, bob.User.ID, ada.Session.TokenHash); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("RevokeSession of another user's session = %v, want NotFound", err)
		}
		if _, _, err := fl.b.Authenticate(ctx, ada.Token); err != nil {
			t.Fatalf("the session was ended anyway: %v", err)
		}
	})

	t.Run("all sessions, the caller's included", func(t *testing.T) {
		t.Parallel()
		fl := newFleet(t, nil)
		here := fl.loginNew(t)
		there := fl.login(t, "ada@x.com")
		for _, l := range []appaccounts.Login{here, there} {
			if _, _, err := fl.b.Authenticate(ctx, l.Token); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := fl.a.RevokeAllSessions(ctx, here.User.ID); err != nil || n != 2 {
			t.Fatalf("RevokeAllSessions = %d, %v; want 2", n, err)
		}
		for _, l := range []appaccounts.Login{here, there} {
			if _, _, err := fl.b.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
				t.Fatalf("instance B still accepts a revoked session: %v", err)
			}
		}
	})

	t.Run("deactivation ends the sessions and refuses logins", func(t *testing.T) {
		t.Parallel()
		fl := newFleet(t, nil)
		l := fl.loginNew(t)
		if _, _, err := fl.b.Authenticate(ctx, l.Token); err != nil {
			t.Fatal(err)
		}
		if n, err := fl.a.RevokeUserSessions(ctx, l.User.ID, true); err != nil || n != 1 {
			t.Fatalf("RevokeUserSessions = %d, %v; want 1", n, err)
		}
		if _, _, err := fl.b.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Fatalf("instance B still accepts the session: %v", err)
		}
		if _, err := fl.a.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword}); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("a deactivated user logged in: %v", err)
		}
		if _, err := fl.a.RevokeUserSessions(ctx, 1<<40, false); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("RevokeUserSessions of nobody = %v, want NotFound", err)
		}
	})
}
