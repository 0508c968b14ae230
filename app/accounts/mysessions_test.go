package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
)

func TestMySessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("last use is recorded to the minute, written only on flush", func(t *testing.T) {
		f := newFixture(t)
		l := f.loginNew(t)
		f.clock.now = f.clock.now.Add(90 * time.Second)
		for range 50 {
			if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
				t.Fatal(err)
			}
		}
		stored, _ := f.sessions.ByHash(ctx, l.Session.TokenHash)
		if stored.LastUsedAt != nil {
			t.Fatalf("a request wrote last use before the flush: %v", stored.LastUsedAt)
		}
		want := f.clock.now.Truncate(time.Minute)
		list, err := f.svc.MySessions(ctx, l.User.ID)
		if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(want) {
			t.Fatalf("MySessions before the flush = %+v, %v; want last use %v", list, err, want)
		}
		if err := f.svc.FlushSessionActivity(ctx); err != nil {
			t.Fatal(err)
		}
		stored, _ = f.sessions.ByHash(ctx, l.Session.TokenHash)
		if stored.LastUsedAt == nil || !stored.LastUsedAt.Equal(want) {
			t.Fatalf("after the flush last use = %v, want %v", stored.LastUsedAt, want)
		}
	})

	t.Run("revoke one by id, then all others", func(t *testing.T) {
		f := newFixture(t)
		a := f.loginNew(t)
		b := f.login(t, "ada@x.com")
		c := f.login(t, "ada@x.com")
		list, err := f.svc.MySessions(ctx, a.User.ID)
		if err != nil || len(list) != 3 {
			t.Fatalf("MySessions = %d, %v", len(list), err)
		}
		var bID int64
		for _, s := range list {
			if s.TokenHash == b.Session.TokenHash {
				bID = s.ID
			}
		}
		if _, err := f.svc.RevokeMySession(ctx, a.User.ID+1, bID); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("another user's session: %v, want NotFound", err)
		}
		if _, err := f.svc.RevokeMySession(ctx, a.User.ID, bID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(ctx, b.Token); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("revoked session still works: %v", err)
		}
		if n, err := f.svc.RevokeOtherSessions(ctx, a.User.ID, a.Session.TokenHash); err != nil || n != 1 {
			t.Fatalf("RevokeMyOtherSessions = %d, %v; want 1", n, err)
		}
		if _, _, err := f.svc.Authenticate(ctx, c.Token); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("other session still works: %v", err)
		}
		if _, _, err := f.svc.Authenticate(ctx, a.Token); err != nil {
			t.Fatalf("the current session was revoked: %v", err)
		}
	})
}
