package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestUserRepositoryContract(t *testing.T) {
	t.Parallel()
	newRepo := func(*testing.T) ports.UserRepository { return memory.NewUserRepository() }
	porttest.UserRepository(t, newRepo)
	porttest.UserRepositoryConcurrent(t, newRepo)
}

func TestSessionRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepository(t, func(*testing.T) (ports.SessionRepository, ports.UserRepository) {
		return memory.NewSessionRepository(), memory.NewUserRepository()
	})
}

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := memory.ThrottleLimits{AccountLimit: 2, AccountWindow: 15 * time.Minute, ClientLimit: 3, ClientWindow: time.Minute}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

	t.Run("account locks after the limit of failures until the window ends", func(t *testing.T) {
		clock := &stepClock{now: start}
		th := memory.NewLoginThrottle(clock, cfg)
		for i := range 2 {
			if wait, _ := th.Check(ctx, "ann", "ip"+string(rune('a'+i))); wait != 0 {
				t.Fatalf("attempt %d throttled for %v", i, wait)
			}
			_ = th.Failed(ctx, "ann")
		}
		clock.now = start.Add(5 * time.Minute)
		if wait, _ := th.Check(ctx, "ann", "ipz"); wait != 10*time.Minute {
			t.Fatalf("wait = %v, want 10m", wait)
		}
		if wait, _ := th.Check(ctx, "bob", "ipy"); wait != 0 {
			t.Fatalf("another account throttled for %v", wait)
		}
		clock.now = start.Add(15 * time.Minute)
		if wait, _ := th.Check(ctx, "ann", "ipx"); wait != 0 {
			t.Fatalf("after the window wait = %v, want 0", wait)
		}
	})

	t.Run("success clears the account's failures", func(t *testing.T) {
		th := memory.NewLoginThrottle(&stepClock{now: start}, cfg)
		_ = th.Failed(ctx, "ann")
		_ = th.Succeeded(ctx, "ann")
		_ = th.Failed(ctx, "ann")
		if wait, _ := th.Check(ctx, "ann", "ip"); wait != 0 {
			t.Fatalf("wait = %v, want 0", wait)
		}
	})

	t.Run("client address counts every attempt", func(t *testing.T) {
		th := memory.NewLoginThrottle(&stepClock{now: start}, cfg)
		for i := range 3 {
			if wait, _ := th.Check(ctx, "acct"+string(rune('a'+i)), "1.2.3.4"); wait != 0 {
				t.Fatalf("attempt %d throttled", i)
			}
		}
		if wait, _ := th.Check(ctx, "other", "1.2.3.4"); wait != time.Minute {
			t.Fatalf("fourth attempt wait = %v, want 1m", wait)
		}
	})
}

func TestOutboxContract(t *testing.T) {
	t.Parallel()
	porttest.Outbox(t, func(*testing.T) ports.Outbox { return memory.NewOutbox() })
}

func TestPasswordResetRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.PasswordResetRepository(t, func(*testing.T) (ports.PasswordResetRepository, ports.UserRepository) {
		return memory.NewPasswordResetRepository(), memory.NewUserRepository()
	})
}

func TestRateLimiterContract(t *testing.T) {
	t.Parallel()
	porttest.RateLimiter(t, memory.NewRateLimiter(systemClock{}))
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func TestMailboxContract(t *testing.T) {
	t.Parallel()
	b := memory.NewMailbox()
	porttest.EmailSender(t, b, b.Messages)
}

func TestSessionRepositoryDetailsContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepositoryDetails(t, func(*testing.T) (ports.SessionRepository, ports.UserRepository) {
		return memory.NewSessionRepository(), memory.NewUserRepository()
	})
}
