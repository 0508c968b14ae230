package accounts_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// Attempts are counted before the hash, so however many run at once, at
// most the account's limit reach the hasher, and the right password is
// refused once the limit is spent.
func TestLoginBurstReachesTheHasherAtMostLimitTimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.register(t, "ada@x.com")
	before := f.hasher.verifies.Load()
	var wg sync.WaitGroup
	for i := range 29 {
		wg.Go(func() {
			_, _ = f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "wrong guess", ClientAddr: "192.0.2." + string(rune('0'+i%10))})
		})
	}
	wg.Wait()
	_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword, ClientAddr: "192.0.2.200"})
	if !domain.IsKind(err, domain.KindRateLimited) {
		t.Fatalf("right password after the burst: %v, want rate limited", err)
	}
	if n := f.hasher.verifies.Load() - before; n > int64(f.cfg.Throttle.AccountLimit) {
		t.Fatalf("%d password checks ran, want at most the limit %d", n, f.cfg.Throttle.AccountLimit)
	}
}

// A request whose context is over (deadline passed, client gone) is still
// counted: the bookkeeping does not run on the request's context.
func TestLoginCountsAttemptsOfCancelledRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.register(t, "ada@x.com")
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "wrong guess", ClientAddr: "a"})
	}
	_, err := f.svc.Login(context.Background(), appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword, ClientAddr: "b"})
	if !domain.IsKind(err, domain.KindRateLimited) {
		t.Fatalf("Login after 3 cancelled attempts = %v, want rate limited", err)
	}
}

// A saturated hash pool refuses before the password is looked at: right
// and wrong passwords get the same 503 with a retry time.
func TestSaturatedHashPoolAnswersRightAndWrongAlike(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.register(t, "ada@x.com")
	f.cfg.HashWorkers = 1
	f.cfg.Throttle.AccountLimit = 0
	f.hasher.gate, f.hasher.started = make(chan struct{}), make(chan struct{}, 1)
	f.build()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = f.svc.Login(context.Background(), appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword, ClientAddr: "a"})
	}()
	<-f.hasher.started // the one slot is taken
	for _, pw := range []string{goodPassword, "wrong guess"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: pw, ClientAddr: "b"})
		cancel()
		de, ok := domain.As(err)
		if !errors.Is(err, accounts.ErrHashBusy) || !ok || de.RetryAfter <= 0 {
			t.Errorf("password %q on a saturated pool: %v, want ErrHashBusy with RetryAfter", pw, err)
		}
	}
	close(f.hasher.gate)
	<-done
}

// A wrong current password in a password change spends the account's login
// budget: a session cannot guess faster than a login could.
func TestChangePasswordSharesTheLoginBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.register(t, "ada@x.com")
	l := f.login(t, "ada@x.com")
	in := appaccounts.ChangePasswordInput{UserID: l.User.ID, KeepSessionHash: l.Session.TokenHash, NewPassword: "another fine passphrase"}
	for range 3 {
		in.CurrentPassword = "wrong guess"
		if err := f.svc.ChangePassword(ctx, in); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("wrong current password: %v, want invalid", err)
		}
	}
	in.CurrentPassword = goodPassword
	err := f.svc.ChangePassword(ctx, in)
	de, ok := domain.As(err)
	if !errors.Is(err, accounts.ErrPasswordThrottled) || !ok || de.RetryAfter <= 0 {
		t.Fatalf("right current password after the limit: %v, want ErrPasswordThrottled with RetryAfter", err)
	}
	if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword, ClientAddr: "c"}); !domain.IsKind(err, domain.KindRateLimited) {
		t.Fatalf("login after the password-change guesses: %v, want rate limited", err)
	}
}

// Sign-ups are counted per client address: a 409 tells whether an email
// is registered, and every try costs a hash.
func TestRegisterIsThrottledPerClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.cfg.Throttle.RegisterLimit = 2
	f.build()
	in := appaccounts.RegisterInput{Email: "ada@x.com", Password: goodPassword, Name: "Ada Lovelace", Language: "en", ClientAddr: "192.0.2.9"}
	if _, err := f.svc.Register(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Register(ctx, in); !errors.Is(err, accounts.ErrEmailTaken) {
		t.Fatalf("second sign-up: %v, want ErrEmailTaken", err)
	}
	_, err := f.svc.Register(ctx, in)
	de, ok := domain.As(err)
	if !errors.Is(err, accounts.ErrRegisterThrottled) || !ok || de.RetryAfter <= 0 {
		t.Fatalf("third sign-up: %v, want ErrRegisterThrottled with RetryAfter", err)
	}
	in.ClientAddr, in.Email = "192.0.2.10", "bob@x.com"
	if _, err := f.svc.Register(ctx, in); err != nil {
		t.Fatalf("another client: %v", err)
	}
}

// The default pool leaves half the CPUs to other requests (a login storm
// must not starve them), never fewer than one slot.
func TestDefaultHashWorkers(t *testing.T) {
	for _, tt := range []struct{ cpus, want int }{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {8, 4}} {
		if got := appaccounts.DefaultHashWorkers(tt.cpus); got != tt.want {
			t.Errorf("DefaultHashWorkers(%d) = %d, want %d", tt.cpus, got, tt.want)
		}
	}
	if got, want := appaccounts.NewHashPool(0).Workers(), appaccounts.DefaultHashWorkers(runtime.NumCPU()); got != want {
		t.Errorf("NewHashPool(0).Workers() = %d, want %d", got, want)
	}
}

// A pool whose slots are taken and whose queue is full sheds at once, and
// stops shedding when a slot frees up.
func TestHashPoolShedsOnlyWhenFull(t *testing.T) {
	t.Parallel()
	p := appaccounts.NewHashPool(1)
	if err := p.Shed(); err != nil {
		t.Fatalf("idle pool sheds: %v", err)
	}
	release := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = p.Do(context.Background(), func() { close(started); <-release })
	}()
	<-started
	if err := p.Shed(); err != nil {
		t.Fatalf("busy pool with room in its queue sheds: %v", err)
	}
	for range 64 { // the queue of a one-slot pool
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Do(context.Background(), func() {}) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for err = p.Shed(); err == nil && time.Now().Before(deadline); err = p.Shed() {
		time.Sleep(time.Millisecond)
	}
	de, ok := domain.As(err)
	if !errors.Is(err, accounts.ErrHashBusy) || !ok || de.RetryAfter <= 0 {
		t.Fatalf("full pool: Shed = %v, want ErrHashBusy with RetryAfter", err)
	}
	close(release)
	wg.Wait()
	if err := p.Shed(); err != nil {
		t.Fatalf("drained pool sheds: %v", err)
	}
}
