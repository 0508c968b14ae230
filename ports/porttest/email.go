package porttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// Outbox checks an implementation of ports.Outbox. newOutbox must return
// an empty outbox for each call.
func Outbox(t *testing.T, newOutbox func(t *testing.T) ports.Outbox) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := func(to string) email.Message {
		return email.Message{To: to, Subject: "Sübject", Body: "Body ✓\nline 2"}
	}

	t.Run("enqueued messages are claimed once per lease, in order", func(t *testing.T) {
		o := newOutbox(t)
		for _, to := range []string{"a@x.com", "b@x.com", "c@x.com"} {
			if err := o.Enqueue(ctx, msg(to), t0); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
		}
		got, err := o.ClaimDue(ctx, t0, time.Minute, 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("ClaimDue = %d messages, %v; want 2", len(got), err)
		}
		if got[0].Message != msg("a@x.com") || got[1].Message.To != "b@x.com" || got[0].Attempts != 1 {
			t.Fatalf("claimed %+v", got)
		}
		rest, err := o.ClaimDue(ctx, t0, time.Minute, 10)
		if err != nil || len(rest) != 1 || rest[0].Message.To != "c@x.com" {
			t.Fatalf("second ClaimDue = %+v, %v; want only c", rest, err)
		}
		if again, _ := o.ClaimDue(ctx, t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatalf("claimed messages came back within their lease: %+v", again)
		}
		// A sender that died: the lease ends and another one takes over.
		after, err := o.ClaimDue(ctx, t0.Add(time.Minute), time.Minute, 10)
		if err != nil || len(after) != 3 || after[0].Attempts != 2 {
			t.Fatalf("after the lease ClaimDue = %+v, %v; want all 3 on attempt 2", after, err)
		}
	})

	t.Run("sent and abandoned are never due again; rescheduled are due at their time", func(t *testing.T) {
		o := newOutbox(t)
		for _, to := range []string{"a@x.com", "b@x.com", "c@x.com"} {
			if err := o.Enqueue(ctx, msg(to), t0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := o.ClaimDue(ctx, t0, time.Minute, 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("ClaimDue = %d, %v", len(got), err)
		}
		if err := o.MarkSent(ctx, got[0].ID, t0); err != nil {
			t.Fatalf("MarkSent: %v", err)
		}
		if err := o.Abandon(ctx, got[1].ID, t0, "550 no such user"); err != nil {
			t.Fatalf("Abandon: %v", err)
		}
		if err := o.Reschedule(ctx, got[2].ID, t0.Add(time.Hour), "421 busy"); err != nil {
			t.Fatalf("Reschedule: %v", err)
		}
		if early, _ := o.ClaimDue(ctx, t0.Add(59*time.Minute), time.Minute, 10); len(early) != 0 {
			t.Fatalf("due before its time: %+v", early)
		}
		late, err := o.ClaimDue(ctx, t0.Add(2*time.Hour), time.Minute, 10)
		if err != nil || len(late) != 1 || late[0].ID != got[2].ID || late[0].LastError != "421 busy" || late[0].Attempts != 2 {
			t.Fatalf("ClaimDue later = %+v, %v; want only the rescheduled one", late, err)
		}
	})

	t.Run("unknown ids are not found", func(t *testing.T) {
		o := newOutbox(t)
		for name, err := range map[string]error{
			"MarkSent":   o.MarkSent(ctx, 987654321, t0),
			"Reschedule": o.Reschedule(ctx, 987654321, t0, ""),
			"Abandon":    o.Abandon(ctx, 987654321, t0, ""),
		} {
			if !domain.IsKind(err, domain.KindNotFound) {
				t.Errorf("%s = %v, want NotFound", name, err)
			}
		}
	})

	t.Run("concurrent claims never share a message", func(t *testing.T) {
		o := newOutbox(t)
		for range 20 {
			if err := o.Enqueue(ctx, msg("a@x.com"), t0); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				got, err := o.ClaimDue(ctx, t0, time.Hour, 20)
				if err != nil {
					t.Errorf("ClaimDue: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, q := range got {
					seen[q.ID]++
				}
			})
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Errorf("claimed %d distinct messages, want 20", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("message %d claimed %d times", id, n)
			}
		}
	})
}

// PasswordResetRepository checks an implementation of
// ports.PasswordResetRepository; users holds the resets' users.
func PasswordResetRepository(t *testing.T, newRepos func(t *testing.T) (ports.PasswordResetRepository, ports.UserRepository)) {
	t.Helper()
	repo, users := newRepos(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	newReset := func(t *testing.T, expires time.Time) accounts.PasswordReset {
		t.Helper()
		u := accountsUser(t, "Reset owner")
		mustCreateUser(t, users, &u)
		r := accounts.NewPasswordReset(randomHex(t, 16), u, now, expires.Sub(now))
		if err := repo.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
		return r
	}

	t.Run("create then read; duplicates conflict", func(t *testing.T) {
		r := newReset(t, now.Add(time.Hour))
		got, err := repo.ByHash(ctx, r.TokenHash)
		if err != nil || got.UserID != r.UserID || got.State != r.State || !got.ExpiresAt.Equal(r.ExpiresAt) || got.UsedAt != nil {
			t.Fatalf("ByHash = %+v, %v; want %+v", got, err, r)
		}
		if err := repo.Create(ctx, r); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("second Create = %v, want Conflict", err)
		}
		if _, err := repo.ByHash(ctx, "absent"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("ByHash(absent) = %v, want NotFound", err)
		}
	})

	t.Run("a reset is used once", func(t *testing.T) {
		r := newReset(t, now.Add(time.Hour))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, conflict int
		for range 5 {
			wg.Go(func() {
				err := repo.MarkUsed(ctx, r.TokenHash, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case domain.IsKind(err, domain.KindConflict):
					conflict++
				default:
					t.Errorf("MarkUsed: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || conflict != 4 {
			t.Fatalf("MarkUsed: %d successes and %d conflicts, want 1 and 4", ok, conflict)
		}
		got, err := repo.ByHash(ctx, r.TokenHash)
		if err != nil || got.UsedAt == nil || !got.UsedAt.Equal(now) {
			t.Fatalf("ByHash after use = %+v, %v", got, err)
		}
		if err := repo.MarkUsed(ctx, "absent", now); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("MarkUsed(absent) = %v, want NotFound", err)
		}
	})

	t.Run("expired resets are deleted", func(t *testing.T) {
		old := newReset(t, now.Add(time.Minute))
		live := newReset(t, now.Add(time.Hour))
		n, err := repo.DeleteExpired(ctx, now.Add(time.Minute))
		if err != nil || n < 1 {
			t.Fatalf("DeleteExpired = %d, %v", n, err)
		}
		if _, err := repo.ByHash(ctx, old.TokenHash); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("expired reset still there: %v", err)
		}
		if _, err := repo.ByHash(ctx, live.TokenHash); err != nil {
			t.Fatalf("live reset gone: %v", err)
		}
	})
}

// EmailSender checks an implementation of ports.EmailSender: a message
// sent arrives unchanged (received returns what the far end got, e.g. a
// test SMTP server's inbox), and a cancelled context fails the send.
func EmailSender(t *testing.T, s ports.EmailSender, received func() []email.Message) {
	t.Helper()
	m := email.Message{To: "ada@example.com", Subject: "Réinitialisation du mot de passe",
		Body: "Bonjour Ada,\n\nhttps://onit.example/reset-password?token=abc_DEF-123\n"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := received()
	if len(got) == 0 {
		t.Fatal("nothing received")
	}
	last := got[len(got)-1]
	if last.To != m.To || last.Subject != m.Subject || last.Body != m.Body {
		t.Fatalf("received %+v, want %+v", last, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, m); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
}
