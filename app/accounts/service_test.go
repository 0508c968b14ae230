package accounts_test

import (
	"context"
	"errors"
	"fmt"
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
		hasher:   &fakeHasher{iterations: 2},
		clock:    &fakeClock{now: start},
	}
	f.throttle = &flakyThrottle{Throttle: memory.NewThrottle(f.clock)}
	cfg := appaccounts.Config{
		SessionAge: sessionAge,
		Policy:     password.Policy{Similarity: true, MinLength: 8, Common: common, Numeric: true},
		Throttle: appaccounts.ThrottleLimits{AccountLimit: 3, AccountWindow: 15 * time.Minute, ClientLimit: 100, ClientWindow: time.Minute,
			RegisterLimit: 20, RegisterWindow: time.Hour},
	}
	f.cfg, f.random = cfg, &counterRandom{}
	f.uow = &memoryUnitOfWork{repos: ports.Repos{Users: f.users, Sessions: f.sessions}}
	f.build()
	return f
}

// build (re)makes the service from f's parts and f.cfg, with the throttle
// wired as in production: the flaky one, backed by an in-process one.
func (f *fixture) build() {
	th := appaccounts.NewFallbackThrottle(f.throttle, memory.NewThrottle(f.clock), nil)
	f.svc = appaccounts.New(f.cfg, f.users, f.sessions, th, f.hasher, f.uow, f.clock, f.random, nil)
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

func (f *fixture) loginNew(t *testing.T) appaccounts.Login {
	t.Helper()
	f.register(t, "ada@x.com")
	return f.login(t, "ada@x.com")
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
	// gate, when set, holds every Verify until it is closed, and started
	// hears of each one that began.
	gate    chan struct{}
	started chan struct{}
}

func (h *fakeHasher) Hash(pw string) (string, error) {
	return fmt.Sprintf("fake$%d$%s", h.iterations, pw), nil
}

func (h *fakeHasher) Verify(pw, encoded string) (bool, bool) {
	h.verifies.Add(1)
	if h.gate != nil {
		h.started <- struct{}{}
		<-h.gate
	}
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

// flakyThrottle is the memory throttle with an outage switch; like a
// network store it fails on a context that has ended.
type flakyThrottle struct {
	ports.Throttle
	down atomic.Bool
}

func (t *flakyThrottle) Attempt(ctx context.Context, cs ...ports.ThrottleCounter) (time.Duration, error) {
	if t.down.Load() {
		return 0, domain.Unavailable(errDown)
	}
	if err := ctx.Err(); err != nil {
		return 0, domain.Unavailable(err)
	}
	return t.Throttle.Attempt(ctx, cs...)
}

func (t *flakyThrottle) Reset(ctx context.Context, cs ...ports.ThrottleCounter) error {
	if t.down.Load() {
		return domain.Unavailable(errDown)
	}
	if err := ctx.Err(); err != nil {
		return domain.Unavailable(err)
	}
	return t.Throttle.Reset(ctx, cs...)
}

// hookedSessions counts ByHash reads and runs afterByHash once, right
// after the next one, to interleave a concurrent request deterministically.
type hookedSessions struct {
	*memory.SessionRepository
	byHash      atomic.Int64
	mu          sync.Mutex
	afterByHash func()
}

func (s *hookedSessions) ByHash(ctx context.Context, h string) (accounts.Session, error) {
	s.byHash.Add(1)
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
