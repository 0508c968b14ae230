// Package porttest holds the contract suites of the ports: every
// implementation (memory twins, MySQL, Redis) runs the same suite, so they
// agree on behaviour and error kinds.
package porttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// UserRepository checks an implementation of ports.UserRepository. newRepo
// is called once; the cases isolate themselves with unique emails, so the
// repository may be shared with other tests.
func UserRepository(t *testing.T, newRepo func(t *testing.T) ports.UserRepository) {
	t.Helper()
	repo := newRepo(t)
	ctx := context.Background()

	t.Run("create then read by id and email key", func(t *testing.T) {
		u := accountsUser(t, "Ann")
		if err := repo.Create(ctx, &u); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if u.ID <= 0 {
			t.Fatalf("Create set ID %d, want > 0", u.ID)
		}
		byID, err := repo.ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		assertUser(t, byID, u)
		byKey, err := repo.ByEmailKey(ctx, u.EmailKey)
		if err != nil {
			t.Fatalf("ByEmailKey: %v", err)
		}
		assertUser(t, byKey, u)
	})

	t.Run("ids are distinct", func(t *testing.T) {
		a, b := accountsUser(t, "A"), accountsUser(t, "B")
		mustCreateUser(t, repo, &a)
		mustCreateUser(t, repo, &b)
		if a.ID == b.ID {
			t.Fatalf("two users got ID %d", a.ID)
		}
	})

	t.Run("absent user is not found", func(t *testing.T) {
		_, err := repo.ByID(ctx, 1<<62)
		assertKind(t, "ByID", err, domain.KindNotFound)
		_, err = repo.ByEmailKey(ctx, "nobody-"+randomHex(t, 8)+"@example.com")
		assertKind(t, "ByEmailKey", err, domain.KindNotFound)
		_, err = repo.Update(ctx, 1<<62, func(*accounts.User) error { return nil })
		assertKind(t, "Update", err, domain.KindNotFound)
	})

	t.Run("same email in another case conflicts", func(t *testing.T) {
		first := accountsUser(t, "First")
		mustCreateUser(t, repo, &first)
		second := first
		second.ID = 0
		second.Email = strings.ToUpper(first.Email)
		second.EmailKey = accounts.EmailKey(second.Email)
		err := repo.Create(ctx, &second)
		assertKind(t, "Create", err, domain.KindConflict)
		if !errors.Is(err, accounts.ErrEmailTaken) {
			t.Errorf("Create: %v, want accounts.ErrEmailTaken", err)
		}
	})

	t.Run("update saves what fn changed", func(t *testing.T) {
		u := accountsUser(t, "Old")
		mustCreateUser(t, repo, &u)
		login := time.Date(2031, 2, 3, 4, 5, 6, 789000, time.UTC)
		got, err := repo.Update(ctx, u.ID, func(u *accounts.User) error {
			u.Name = "New"
			u.Language = "de"
			u.PasswordHash = "pbkdf2_sha256$1$salt$new"
			u.LastLogin = &login
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		want := u
		want.Name, want.Language, want.PasswordHash, want.LastLogin = "New", "de", "pbkdf2_sha256$1$salt$new", &login
		assertUser(t, got, want)
		stored, err := repo.ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		assertUser(t, stored, want)
	})

	t.Run("update rolls back when fn fails", func(t *testing.T) {
		u := accountsUser(t, "Kept")
		mustCreateUser(t, repo, &u)
		boom := errors.New("boom")
		_, err := repo.Update(ctx, u.ID, func(u *accounts.User) error {
			u.Name = "Lost"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v, want fn's error", err)
		}
		stored, err := repo.ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		assertUser(t, stored, u)
	})

	t.Run("update onto a taken email conflicts", func(t *testing.T) {
		a, b := accountsUser(t, "A"), accountsUser(t, "B")
		mustCreateUser(t, repo, &a)
		mustCreateUser(t, repo, &b)
		_, err := repo.Update(ctx, b.ID, func(u *accounts.User) error {
			u.Email, u.EmailKey = a.Email, a.EmailKey
			return nil
		})
		assertKind(t, "Update", err, domain.KindConflict)
		stored, err := repo.ByID(ctx, b.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		assertUser(t, stored, b)
	})

	t.Run("returned values are copies", func(t *testing.T) {
		u := accountsUser(t, "Copy")
		login := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
		u.LastLogin = &login
		mustCreateUser(t, repo, &u)
		got, err := repo.ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		*got.LastLogin = got.LastLogin.Add(time.Hour)
		got.Name = "Changed"
		again, err := repo.ByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("ByID: %v", err)
		}
		assertUser(t, again, u)
	})
}

// UserRepositoryConcurrent checks that Update serialises concurrent
// read-modify-writes of one user. MySQL adapters call it only on an engine
// that enforces row locks (mysqltest.RequireInnoDB).
func UserRepositoryConcurrent(t *testing.T, newRepo func(t *testing.T) ports.UserRepository) {
	t.Helper()
	repo := newRepo(t)
	ctx := context.Background()
	u := accountsUser(t, "x")
	mustCreateUser(t, repo, &u)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			_, err := repo.Update(ctx, u.ID, func(u *accounts.User) error {
				u.Name += "x"
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	got, err := repo.ByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	if want := strings.Repeat("x", writers+1); got.Name != want {
		t.Fatalf("after %d concurrent updates Name = %q, want %q (an update was lost)", writers, got.Name, want)
	}
}

// SessionRepository checks an implementation of ports.SessionRepository.
// newRepos returns the session repository and a user repository on the
// same store, since a session needs its user to exist. Only the
// DeleteExpired case creates sessions expiring before 2100, so the
// repositories may be shared with tests that do the same.
func SessionRepository(t *testing.T, newRepos func(t *testing.T) (ports.SessionRepository, ports.UserRepository)) {
	t.Helper()
	repo, users := newRepos(t)
	ctx := context.Background()
	later := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	newUser := func(t *testing.T) int64 {
		t.Helper()
		u := accountsUser(t, "Session owner")
		mustCreateUser(t, users, &u)
		return u.ID
	}

	t.Run("create then read", func(t *testing.T) {
		s := session(t, newUser(t), later)
		mustCreateSession(t, repo, s)
		got, err := repo.ByHash(ctx, s.TokenHash)
		if err != nil {
			t.Fatalf("ByHash: %v", err)
		}
		assertSession(t, got, s)
	})

	t.Run("absent session is not found", func(t *testing.T) {
		_, err := repo.ByHash(ctx, randomHex(t, 32))
		assertKind(t, "ByHash", err, domain.KindNotFound)
	})

	t.Run("duplicate hash conflicts", func(t *testing.T) {
		s := session(t, newUser(t), later)
		mustCreateSession(t, repo, s)
		err := repo.Create(ctx, s)
		assertKind(t, "Create", err, domain.KindConflict)
	})

	t.Run("expired sessions are still returned", func(t *testing.T) {
		s := session(t, newUser(t), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
		s.CreatedAt = s.ExpiresAt.Add(-time.Hour)
		mustCreateSession(t, repo, s)
		got, err := repo.ByHash(ctx, s.TokenHash)
		if err != nil {
			t.Fatalf("ByHash: %v", err)
		}
		assertSession(t, got, s)
		if err := repo.Delete(ctx, s.TokenHash); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	})

	t.Run("delete removes one and ignores absent", func(t *testing.T) {
		uid := newUser(t)
		gone, kept := session(t, uid, later), session(t, uid, later)
		mustCreateSession(t, repo, gone)
		mustCreateSession(t, repo, kept)
		if err := repo.Delete(ctx, gone.TokenHash); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err := repo.ByHash(ctx, gone.TokenHash)
		assertKind(t, "ByHash after Delete", err, domain.KindNotFound)
		if _, err := repo.ByHash(ctx, kept.TokenHash); err != nil {
			t.Fatalf("ByHash of the other session: %v", err)
		}
		if err := repo.Delete(ctx, gone.TokenHash); err != nil {
			t.Fatalf("Delete of an absent session: %v", err)
		}
	})

	t.Run("delete for user keeps the one and other users' sessions", func(t *testing.T) {
		uid, other := newUser(t), newUser(t)
		keep := session(t, uid, later)
		a, b := session(t, uid, later), session(t, uid, later)
		theirs := session(t, other, later)
		for _, s := range []accounts.Session{keep, a, b, theirs} {
			mustCreateSession(t, repo, s)
		}
		removed, err := repo.DeleteForUser(ctx, uid, keep.TokenHash)
		if err != nil {
			t.Fatalf("DeleteForUser: %v", err)
		}
		want := []string{a.TokenHash, b.TokenHash}
		slices.Sort(want)
		slices.Sort(removed)
		if !slices.Equal(removed, want) {
			t.Errorf("DeleteForUser returned %v, want %v", removed, want)
		}
		for _, s := range []accounts.Session{a, b} {
			_, err := repo.ByHash(ctx, s.TokenHash)
			assertKind(t, "ByHash of a revoked session", err, domain.KindNotFound)
		}
		for _, s := range []accounts.Session{keep, theirs} {
			if _, err := repo.ByHash(ctx, s.TokenHash); err != nil {
				t.Errorf("ByHash of a session that must survive: %v", err)
			}
		}
		removed, err = repo.DeleteForUser(ctx, uid, keep.TokenHash)
		if err != nil || len(removed) != 0 {
			t.Errorf("second DeleteForUser = %v, %v; want nothing removed", removed, err)
		}
	})

	t.Run("delete expired removes those expired at or before now", func(t *testing.T) {
		uid := newUser(t)
		now := time.Date(2050, 6, 1, 12, 0, 0, 0, time.UTC)
		before := session(t, uid, now.Add(-time.Hour))
		atNow := session(t, uid, now)
		after := session(t, uid, now.Add(time.Microsecond))
		for _, s := range []accounts.Session{before, atNow, after} {
			s.CreatedAt = now.Add(-48 * time.Hour)
			mustCreateSession(t, repo, s)
		}
		n, err := repo.DeleteExpired(ctx, now)
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if n != 2 {
			t.Errorf("DeleteExpired removed %d, want 2", n)
		}
		for _, s := range []accounts.Session{before, atNow} {
			_, err := repo.ByHash(ctx, s.TokenHash)
			assertKind(t, "ByHash of an expired session", err, domain.KindNotFound)
		}
		if _, err := repo.ByHash(ctx, after.TokenHash); err != nil {
			t.Errorf("ByHash of a live session: %v", err)
		}
	})
}

// accountsUser returns a valid, not yet stored user with a unique email in
// mixed case, so case handling is exercised everywhere. Times are whole
// microseconds in UTC, what DATETIME(6) keeps.
func accountsUser(t *testing.T, name string) accounts.User {
	t.Helper()
	email := fmt.Sprintf("Porttest.%s@Example.com", randomHex(t, 6))
	u, err := accounts.NewUser(email, name, "en", time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC))
	if err != nil {
		t.Fatalf("NewUser: %v", err)
	}
	u.PasswordHash = "pbkdf2_sha256$870000$salt$hash"
	return u
}

func session(t *testing.T, userID int64, expires time.Time) accounts.Session {
	t.Helper()
	return accounts.Session{
		TokenHash: randomHex(t, 32),
		UserID:    userID,
		CreatedAt: time.Date(2030, 1, 1, 0, 0, 0, 123000, time.UTC),
		ExpiresAt: expires,
	}
}

func mustCreateUser(t *testing.T, repo ports.UserRepository, u *accounts.User) {
	t.Helper()
	if err := repo.Create(context.Background(), u); err != nil {
		t.Fatalf("Create user: %v", err)
	}
}

func mustCreateSession(t *testing.T, repo ports.SessionRepository, s accounts.Session) {
	t.Helper()
	if err := repo.Create(context.Background(), s); err != nil {
		t.Fatalf("Create session: %v", err)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("rand: %v", err)
	}
	return hex.EncodeToString(b)
}

func assertKind(t *testing.T, op string, err error, want domain.Kind) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want kind %s", op, want)
		return
	}
	if got := domain.KindOf(err); got != want {
		t.Errorf("%s: %v (kind %s), want kind %s", op, err, got, want)
	}
}

func assertUser(t *testing.T, got, want accounts.User) {
	t.Helper()
	sameLogin := (got.LastLogin == nil) == (want.LastLogin == nil) &&
		(got.LastLogin == nil || got.LastLogin.Equal(*want.LastLogin))
	sameJoined := got.DateJoined.Equal(want.DateJoined)
	g, w := got, want
	g.LastLogin, w.LastLogin = nil, nil
	g.DateJoined, w.DateJoined = time.Time{}, time.Time{}
	if g != w || !sameLogin || !sameJoined {
		t.Errorf("user = %+v (last login %v, joined %v),\nwant   %+v (last login %v, joined %v)",
			g, fmtTime(got.LastLogin), got.DateJoined, w, fmtTime(want.LastLogin), want.DateJoined)
	}
}

func assertSession(t *testing.T, got, want accounts.Session) {
	t.Helper()
	if got.TokenHash != want.TokenHash || got.UserID != want.UserID ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("session = %+v, want %+v", got, want)
	}
}

func fmtTime(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.Format(time.RFC3339Nano)
}
