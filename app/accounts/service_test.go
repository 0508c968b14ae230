package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/password"
	"github.com/onitapp/onit/ports"
)

var start = time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)

const (
	goodPassword = "correct horse battery staple"
	sessionAge   = 14 * 24 * time.Hour
)

// fixture is a service over memory adapters whose parts tests can reach.
type fixture struct {
	svc      *appaccounts.Service
	users    *memory.UserRepository
	sessions *hookedSessions
	cache    *flakyCache
	throttle *flakyThrottle
	hasher   *fakeHasher
	clock    *fakeClock
	cfg      appaccounts.Config
	uow      ports.UnitOfWork
	random   *counterRandom
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	common, err := password.ParseCommonList(strings.NewReader("password\n12345678\nabc\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		users:    memory.NewUserRepository(),
		sessions: &hookedSessions{SessionRepository: memory.NewSessionRepository()},
		cache:    &flakyCache{SessionCache: memory.NewSessionCache()},
		hasher:   &fakeHasher{iterations: 2},
		clock:    &fakeClock{now: start},
	}
	f.throttle = &flakyThrottle{LoginThrottle: memory.NewLoginThrottle(f.clock,
		memory.ThrottleLimits{AccountLimit: 3, AccountWindow: 15 * time.Minute, ClientLimit: 100, ClientWindow: time.Minute})}
	cfg := appaccounts.Config{
		SessionAge: sessionAge,
		Policy:     password.Policy{Similarity: true, MinLength: 8, Common: common, Numeric: true},
	}
	f.cfg, f.random = cfg, &counterRandom{}
	f.uow = &memoryUnitOfWork{repos: ports.Repos{Users: f.users, Sessions: f.sessions}}
	f.svc = appaccounts.New(cfg, f.users, f.sessions, f.cache, f.throttle, f.hasher, f.uow, f.clock, f.random, nil)
	return f
}

func (f *fixture) register(t *testing.T, email string) accounts.User {
	t.Helper()
	u, err := f.svc.Register(context.Background(), appaccounts.RegisterInput{
		Email: email, Password: goodPassword, Name: "Ada Lovelace", Language: "en"})
	if err != nil {
		t.Fatalf("Register(%s): %v", email, err)
	}
	return u
}

func (f *fixture) login(t *testing.T, email string) appaccounts.Login {
	t.Helper()
	l, err := f.svc.Login(context.Background(), appaccounts.LoginInput{Email: email, Password: goodPassword, ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatalf("Login(%s): %v", email, err)
	}
	return l
}

func TestRegister(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("creates an active user with a hashed password", func(t *testing.T) {
		f := newFixture(t)
		u, err := f.svc.Register(ctx, appaccounts.RegisterInput{
			Email: "  Ada@Example.COM ", Password: goodPassword, Name: " Ada Lovelace ", Language: "fr"})
		if err != nil {
			t.Fatalf("Register: %v", err)
		}
		want := accounts.User{ID: u.ID, Email: "Ada@Example.COM", EmailKey: "ada@example.com", Name: "Ada Lovelace",
			PasswordHash: "fake$2$" + goodPassword, Language: "fr", IsActive: true, DateJoined: start}
		if u.ID == 0 || u.LastLogin != nil || u != want {
			t.Fatalf("Register = %+v, want %+v", u, want)
		}
		stored, err := f.users.ByEmailKey(ctx, "ada@example.com")
		if err != nil || stored.ID != u.ID {
			t.Fatalf("stored user = %+v, %v", stored, err)
		}
	})

	t.Run("same email in another case is taken", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ann@x.com")
		_, err := f.svc.Register(ctx, appaccounts.RegisterInput{Email: "ANN@X.com", Password: goodPassword, Name: "Ann", Language: "en"})
		if !errors.Is(err, accounts.ErrEmailTaken) || domain.KindOf(err) != domain.KindConflict {
			t.Fatalf("Register = %v, want ErrEmailTaken", err)
		}
	})

	t.Run("concurrent sign-ups for one address give one user", func(t *testing.T) {
		f := newFixture(t)
		var wg sync.WaitGroup
		var ok, taken atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				email := "race@x.com"
				if i%2 == 1 {
					email = "RACE@x.com"
				}
				_, err := f.svc.Register(ctx, appaccounts.RegisterInput{Email: email, Password: goodPassword, Name: "R", Language: "en"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, accounts.ErrEmailTaken):
					taken.Add(1)
				default:
					t.Errorf("Register: %v", err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || taken.Load() != 7 {
			t.Fatalf("%d created, %d taken; want 1 and 7", ok.Load(), taken.Load())
		}
	})

	tests := []struct {
		name string
		in   appaccounts.RegisterInput
		want []string // field:code
	}{
		{"every broken rule at once",
			appaccounts.RegisterInput{Email: "not-an-email", Password: "abc", Name: "", Language: "xx"},
			[]string{"email:email", "name:required", "language:oneof", "password:password_too_short", "password:password_too_common"}},
		{"empty password is only required",
			appaccounts.RegisterInput{Email: "a@x.com", Password: "", Name: "A", Language: "en"},
			[]string{"password:required"}},
		{"password similar to the email",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "adaexample", Name: "Ada Lovelace", Language: "en"},
			[]string{"password:password_too_similar"}},
		{"password similar to the name",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "lovelace1", Name: "Ada Lovelace", Language: "en"},
			[]string{"password:password_too_similar"}},
		{"numeric and common password",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "12345678", Name: "Ada", Language: "en"},
			[]string{"password:password_too_common", "password:password_entirely_numeric"}},
		{"email too long",
			appaccounts.RegisterInput{Email: strings.Repeat("a", 250) + "@x.com", Password: goodPassword, Name: "A", Language: "en"},
			[]string{"email:max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Register(ctx, tt.in)
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields = %v, want %v", got, tt.want)
			}
			if _, err := f.users.ByEmailKey(ctx, accounts.EmailKey(tt.in.Email)); !domain.IsKind(err, domain.KindNotFound) {
				t.Fatalf("an invalid registration stored a user: %v", err)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("starts a cached session and records the login", func(t *testing.T) {
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
		if _, hit, _ := f.cache.Get(ctx, wantSess.TokenHash); !hit {
			t.Fatal("session not cached")
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

	t.Run("throttle outage fails open", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		f.throttle.down.Store(true)
		f.login(t, "ada@x.com")
		_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "nope-nope"})
		if !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("Login = %v, want ErrBadCredentials", err)
		}
	})

	t.Run("cache outage does not stop a login", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada@x.com")
		f.cache.down.Store(true)
		l := f.login(t, "ada@x.com")
		if _, err := f.sessions.ByHash(ctx, l.Session.TokenHash); err != nil {
			t.Fatalf("session not stored: %v", err)
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
			if err != nil || got.ID != u.ID || sess != l.Session {
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

func (f *fixture) loginNew(t *testing.T) appaccounts.Login {
	t.Helper()
	f.register(t, "ada@x.com")
	return f.login(t, "ada@x.com")
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

func TestChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const newPassword = "a much better passphrase"

	t.Run("revokes every other session at once", func(t *testing.T) {
		f := newFixture(t)
		here := f.loginNew(t)
		there, elsewhere := f.login(t, "ada@x.com"), f.login(t, "ada@x.com")
		f.register(t, "bob@x.com")
		bobs := f.login(t, "bob@x.com")
		err := f.svc.ChangePassword(ctx, appaccounts.ChangePasswordInput{
			UserID: here.User.ID, KeepSessionHash: here.Session.TokenHash,
			CurrentPassword: goodPassword, NewPassword: newPassword})
		if err != nil {
			t.Fatalf("ChangePassword: %v", err)
		}
		for _, l := range []appaccounts.Login{there, elsewhere} {
			if _, hit, _ := f.cache.Get(ctx, l.Session.TokenHash); hit {
				t.Error("revoked session still cached")
			}
			if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
				t.Errorf("revoked session: Authenticate = %v", err)
			}
		}
		for _, l := range []appaccounts.Login{here, bobs} {
			if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
				t.Errorf("surviving session: Authenticate = %v", err)
			}
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword}); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Errorf("old password: Login = %v", err)
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: newPassword}); err != nil {
			t.Errorf("new password: Login = %v", err)
		}
	})

	tests := []struct {
		name, current, next string
		want                []string
	}{
		{"wrong current password", "not it at all", newPassword, []string{"current_password:password_incorrect"}},
		{"missing both", "", "", []string{"current_password:required", "new_password:required"}},
		{"weak new password", goodPassword, "12345678", []string{"new_password:password_too_common", "new_password:password_entirely_numeric"}},
		{"new password like the name", goodPassword, "lovelace1", []string{"new_password:password_too_similar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			here := f.loginNew(t)
			other := f.login(t, "ada@x.com")
			err := f.svc.ChangePassword(ctx, appaccounts.ChangePasswordInput{UserID: here.User.ID,
				KeepSessionHash: here.Session.TokenHash, CurrentPassword: tt.current, NewPassword: tt.next})
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields = %v, want %v", got, tt.want)
			}
			if _, _, err := f.svc.Authenticate(ctx, other.Token); err != nil {
				t.Fatalf("a failed change revoked a session: %v", err)
			}
		})
	}
}

func TestUpdateMe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name       string
		in         appaccounts.UpdateMe
		wantName   string
		wantLang   string
		wantFields []string
	}{
		{"nothing", appaccounts.UpdateMe{}, "Ada Lovelace", "en", nil},
		{"name", appaccounts.UpdateMe{Name: ptr("  Ada King ")}, "Ada King", "en", nil},
		{"language", appaccounts.UpdateMe{Language: ptr("es")}, "Ada Lovelace", "es", nil},
		{"both invalid", appaccounts.UpdateMe{Name: ptr(" "), Language: ptr("pt")}, "Ada Lovelace", "en",
			[]string{"name:required", "language:oneof"}},
		{"name too long", appaccounts.UpdateMe{Name: ptr(strings.Repeat("é", 151)), Language: ptr("de")}, "Ada Lovelace", "en",
			[]string{"name:max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.register(t, "ada@x.com")
			got, err := f.svc.UpdateMe(ctx, u.ID, tt.in)
			if tt.wantFields != nil {
				if fc := fieldCodes(t, err); !slices.Equal(fc, tt.wantFields) {
					t.Fatalf("fields = %v, want %v", fc, tt.wantFields)
				}
				got, _ = f.users.ByID(ctx, u.ID)
			} else if err != nil {
				t.Fatalf("UpdateMe: %v", err)
			}
			if got.Name != tt.wantName || got.Language != tt.wantLang {
				t.Fatalf("user = %q/%q, want %q/%q", got.Name, got.Language, tt.wantName, tt.wantLang)
			}
		})
	}
	t.Run("precondition is checked against the stored user", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		var seen string
		_, err := f.svc.UpdateMe(ctx, u.ID, appaccounts.UpdateMe{Name: ptr("Other"),
			Precondition: func(cur accounts.User) bool { seen = cur.Name; return false }})
		if !domain.IsKind(err, domain.KindPreconditionFailed) || seen != "Ada Lovelace" {
			t.Fatalf("UpdateMe = %v (saw %q), want PreconditionFailed after seeing the stored name", err, seen)
		}
		if got, _ := f.users.ByID(ctx, u.ID); got.Name != "Ada Lovelace" {
			t.Fatalf("name = %q after a failed precondition", got.Name)
		}
	})
	t.Run("vanished user", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.UpdateMe(ctx, 42, appaccounts.UpdateMe{})
		if !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("UpdateMe = %v, want NotFound", err)
		}
	})
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

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var codes []string
	for _, r := range f.svc.PasswordRules() {
		codes = append(codes, r.Code)
	}
	want := []string{"password_too_similar", "password_too_short", "password_too_common", "password_entirely_numeric"}
	if !slices.Equal(codes, want) {
		t.Fatalf("rules = %v, want %v", codes, want)
	}
}

// fieldCodes returns "field:code" of an Invalid error's fields.
func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	de, ok := domain.As(err)
	if !ok || de.Kind != domain.KindInvalid {
		t.Fatalf("error = %v, want an Invalid error", err)
	}
	var out []string
	for _, f := range de.Fields {
		if f.Key == "" {
			t.Errorf("field %s:%s has no message key", f.Field, f.Code)
		}
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

type counterRandom struct{ n atomic.Int64 }

func (r *counterRandom) Token(n int) (string, error) {
	s := fmt.Sprintf("token-%d-", r.n.Add(1))
	return s + strings.Repeat("x", max(0, n-len(s))), nil
}

// fakeHasher stands in for PBKDF2, whose deliberate cost would slow the
// suite: "fake$<iterations>$<password>". It counts verifications so tests
// can check that every login path spends one.
type fakeHasher struct {
	iterations int
	verifies   atomic.Int64
}

func (h *fakeHasher) Hash(pw string) (string, error) {
	return fmt.Sprintf("fake$%d$%s", h.iterations, pw), nil
}

func (h *fakeHasher) Verify(pw, encoded string) (bool, bool) {
	h.verifies.Add(1)
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) != 3 || parts[0] != "fake" {
		return false, false
	}
	if parts[2] != pw {
		return false, false
	}
	return true, parts[1] != fmt.Sprint(h.iterations)
}

var errDown = errors.New("redis: connection refused")

// flakyCache is the memory cache with an outage switch.
type flakyCache struct {
	*memory.SessionCache
	down atomic.Bool
	gets atomic.Int64 // round trips a real cache would make for Get
}

func (c *flakyCache) Get(ctx context.Context, h string) (accounts.Session, bool, error) {
	c.gets.Add(1)
	if c.down.Load() {
		return accounts.Session{}, false, domain.Unavailable(errDown)
	}
	return c.SessionCache.Get(ctx, h)
}

func (c *flakyCache) Set(ctx context.Context, s accounts.Session) error {
	if c.down.Load() {
		return domain.Unavailable(errDown)
	}
	return c.SessionCache.Set(ctx, s)
}

func (c *flakyCache) Delete(ctx context.Context, h ...string) error {
	if c.down.Load() {
		return domain.Unavailable(errDown)
	}
	return c.SessionCache.Delete(ctx, h...)
}

// flakyThrottle is the memory throttle with an outage switch that fails
// open, as the port requires.
type flakyThrottle struct {
	*memory.LoginThrottle
	down atomic.Bool
}

func (t *flakyThrottle) Check(ctx context.Context, a, c string) (time.Duration, error) {
	if t.down.Load() {
		return 0, domain.Unavailable(errDown)
	}
	return t.LoginThrottle.Check(ctx, a, c)
}

func (t *flakyThrottle) Failed(ctx context.Context, a string) error {
	if t.down.Load() {
		return domain.Unavailable(errDown)
	}
	return t.LoginThrottle.Failed(ctx, a)
}

func (t *flakyThrottle) Succeeded(ctx context.Context, a string) error {
	if t.down.Load() {
		return domain.Unavailable(errDown)
	}
	return t.LoginThrottle.Succeeded(ctx, a)
}

// hookedSessions runs afterByHash once, right after the next ByHash read,
// to interleave a concurrent request deterministically.
type hookedSessions struct {
	*memory.SessionRepository
	mu          sync.Mutex
	afterByHash func()
}

func (s *hookedSessions) ByHash(ctx context.Context, h string) (accounts.Session, error) {
	sess, err := s.SessionRepository.ByHash(ctx, h)
	s.mu.Lock()
	hook := s.afterByHash
	s.afterByHash = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return sess, err
}

// memoryUnitOfWork hands the memory repositories to fn. It cannot roll
// back; the MySQL unit of work's atomicity is tested in its adapter.
type memoryUnitOfWork struct{ repos ports.Repos }

func (u *memoryUnitOfWork) Transact(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	return fn(ctx, u.repos)
}
