package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// SessionRepositoryDetails checks the session list of ports.SessionRepository:
// ListForUser's order, IDs, details and expiry, and Touch.
func SessionRepositoryDetails(t *testing.T, newRepos func(t *testing.T) (ports.SessionRepository, ports.UserRepository)) {
	t.Helper()
	repo, users := newRepos(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	u := accountsUser(t, "Lister")
	mustCreateUser(t, users, &u)
	other := accountsUser(t, "Other")
	mustCreateUser(t, users, &other)

	older := accounts.NewSession(randomHex(t, 16), u.ID, now.Add(-2*time.Hour), 24*time.Hour)
	older.UserAgent, older.ClientAddr = "Firefox 133 on Linux", "203.0.113.0/24"
	newer := accounts.NewSession(randomHex(t, 16), u.ID, now.Add(-time.Hour), 24*time.Hour)
	expired := accounts.NewSession(randomHex(t, 16), u.ID, now.Add(-3*time.Hour), time.Hour)
	foreign := accounts.NewSession(randomHex(t, 16), other.ID, now, time.Hour)
	for _, s := range []accounts.Session{older, newer, expired, foreign} {
		mustCreateSession(t, repo, s)
	}

	got, err := repo.ListForUser(ctx, u.ID, now)
	if err != nil {
		t.Fatalf("ListForUser: %v", err)
	}
	if len(got) != 2 || got[0].TokenHash != newer.TokenHash || got[1].TokenHash != older.TokenHash {
		t.Fatalf("ListForUser = %+v, want the two live sessions, newest first", got)
	}
	if got[0].ID <= 0 || got[0].ID == got[1].ID {
		t.Fatalf("IDs %d and %d, want distinct positive", got[0].ID, got[1].ID)
	}
	if got[1].UserAgent != older.UserAgent || got[1].ClientAddr != older.ClientAddr || got[1].LastUsedAt != nil {
		t.Fatalf("details = %+v, want those stored", got[1])
	}

	used := now.Add(-30 * time.Minute)
	if err := repo.Touch(ctx, []string{older.TokenHash, "absent"}, used); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	// An earlier time never moves it back.
	if err := repo.Touch(ctx, []string{older.TokenHash}, used.Add(-time.Minute)); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	got, err = repo.ListForUser(ctx, u.ID, now)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListForUser = %v, %v", got, err)
	}
	if got[1].LastUsedAt == nil || !got[1].LastUsedAt.Equal(used) || got[0].LastUsedAt != nil {
		t.Fatalf("after Touch: %v and %v, want %v on the older only", got[1].LastUsedAt, got[0].LastUsedAt, used)
	}
	if err := repo.Touch(ctx, nil, used); err != nil {
		t.Fatalf("Touch(nil): %v", err)
	}
}
