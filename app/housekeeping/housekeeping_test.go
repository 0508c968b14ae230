package housekeeping_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/app/housekeeping"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

type clock struct{ t time.Time }

func (c clock) Now() time.Time { return c.t }

// failingPurge is an idempotency repository whose Purge fails.
type failingPurge struct{ ports.IdempotencyRepository }

func (failingPurge) Purge(context.Context, time.Time) (int64, error) {
	return 0, errors.New("purge refused")
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ttl := 24 * time.Hour
	setup := func(t *testing.T) (*memory.SessionRepository, *memory.IdempotencyRepository, *memory.PasswordResetRepository) {
		t.Helper()
		sessions := memory.NewSessionRepository()
		for i, exp := range []time.Time{now.Add(-time.Hour), now, now.Add(time.Hour)} {
			s := accounts.Session{TokenHash: string(rune('a' + i)), UserID: 1, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: exp}
			if err := sessions.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		idem := memory.NewProjectsStore(memory.NewUserRepository()).Idempotency()
		for i, created := range []time.Time{now.Add(-ttl - time.Second), now.Add(-ttl + time.Second)} {
			rec := ports.IdempotencyRecord{UserID: 1, Key: string(rune('k' + i)), Fingerprint: "f", CreatedAt: created}
			if err := idem.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		resets := memory.NewPasswordResetRepository()
		for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			r := accounts.PasswordReset{TokenHash: string(rune('r' + i)), UserID: 1, CreatedAt: now.Add(-time.Hour), ExpiresAt: exp}
			if err := resets.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		return sessions, idem, resets
	}

	t.Run("deletes what expired, keeps the rest", func(t *testing.T) {
		sessions, idem, resets := setup(t)
		svc := housekeeping.New(sessions, idem, resets, clock{now}, housekeeping.Config{IdempotencyTTL: ttl})
		rep, err := svc.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A session expiring exactly now has expired (accounts.Session.Expired).
		if rep.Sessions != 2 || rep.IdempotencyRecords != 1 || rep.PasswordResets != 1 {
			t.Errorf("report = %+v, want 2 sessions, 1 idempotency record and 1 password reset", rep)
		}
		if _, err := resets.ByHash(ctx, "s"); err != nil {
			t.Errorf("the live reset was deleted: %v", err)
		}
		if _, err := idem.Get(ctx, 1, "l"); err != nil {
			t.Errorf("the record inside the TTL was deleted: %v", err)
		}
		if rep, _ := svc.Run(ctx); rep.Sessions != 0 || rep.IdempotencyRecords != 0 || rep.PasswordResets != 0 {
			t.Errorf("second run = %+v, want nothing left to delete", rep)
		}
	})

	t.Run("one part failing does not stop the other", func(t *testing.T) {
		sessions, idem, resets := setup(t)
		svc := housekeeping.New(sessions, failingPurge{idem}, resets, clock{now}, housekeeping.Config{IdempotencyTTL: ttl})
		rep, err := svc.Run(ctx)
		if err == nil {
			t.Fatal("Run hid the failed purge")
		}
		if rep.Sessions != 2 {
			t.Errorf("sessions deleted = %d, want 2 despite the failed purge", rep.Sessions)
		}
	})
}
