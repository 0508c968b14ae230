package porttest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// ImportRepositories checks the import's repositories (ImportedUsers,
// ImportedSessions, ImportRuns of r) and that what they write is what
// Users and Sessions read. newRepos is called once per case.
func ImportRepositories(t *testing.T, newRepos func(t *testing.T) ports.Repos) {
	t.Helper()
	ctx := context.Background()
	imported := func(t *testing.T, name string, sourceID int64) *cutover.ImportedUser {
		t.Helper()
		u := accountsUser(t, name)
		u.IsStaff = true
		last := time.Date(2029, 5, 6, 7, 8, 9, 123456000, time.UTC)
		u.LastLogin = &last
		return &cutover.ImportedUser{User: u, SourceID: sourceID, Fingerprint: cutover.Fingerprint(u)}
	}

	t.Run("created users are the users logins read", func(t *testing.T) {
		r := newRepos(t)
		a, b := imported(t, "Ann", 11), imported(t, "Bob", 12)
		if err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{a, b}); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if a.User.ID <= 0 || b.User.ID <= 0 || a.User.ID == b.User.ID {
			t.Fatalf("Create set IDs %d, %d", a.User.ID, b.User.ID)
		}
		got, err := r.Users.ByEmailKey(ctx, a.User.EmailKey)
		if err != nil {
			t.Fatalf("ByEmailKey: %v", err)
		}
		assertUser(t, got, a.User)
		locked, err := r.ImportedUsers.LockBySourceIDs(ctx, []int64{12, 11, 99})
		if err != nil || len(locked) != 2 {
			t.Fatalf("LockBySourceIDs = %d users, %v; want 2", len(locked), err)
		}
		for _, l := range locked {
			want := a
			if l.SourceID == 12 {
				want = b
			}
			assertUser(t, l.User, want.User)
			if l.Fingerprint != want.Fingerprint || cutover.Fingerprint(l.User) != want.Fingerprint {
				t.Errorf("source %d: fingerprint %q, want %q (and the user read back must give it)", l.SourceID, l.Fingerprint, want.Fingerprint)
			}
		}
	})

	t.Run("a batch with a taken email key creates nothing", func(t *testing.T) {
		r := newRepos(t)
		native := accountsUser(t, "Native")
		mustCreateUser(t, r.Users, &native)
		fresh, clash := imported(t, "Fresh", 21), imported(t, "Clash", 22)
		clash.User.Email, clash.User.EmailKey = native.Email, native.EmailKey
		err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{fresh, clash})
		if !errors.Is(err, accounts.ErrEmailTaken) {
			t.Fatalf("Create = %v, want ErrEmailTaken", err)
		}
		if _, err := r.Users.ByEmailKey(ctx, fresh.User.EmailKey); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("the batch's other user exists after the failed Create: %v", err)
		}
		byKey, err := r.ImportedUsers.ByEmailKeys(ctx, []string{native.EmailKey, fresh.User.EmailKey})
		if err != nil || len(byKey) != 1 || byKey[0].SourceID != 0 || byKey[0].User.ID != native.ID {
			t.Fatalf("ByEmailKeys = %+v, %v; want only the native user, without a source ID", byKey, err)
		}
	})

	t.Run("a taken source ID is a conflict", func(t *testing.T) {
		r := newRepos(t)
		if err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{imported(t, "A", 31)}); err != nil {
			t.Fatal(err)
		}
		err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{imported(t, "B", 31)})
		assertKind(t, "Create", err, domain.KindConflict)
	})

	t.Run("update rewrites the user and its fingerprint", func(t *testing.T) {
		r := newRepos(t)
		a, other := imported(t, "Ann", 41), imported(t, "Other", 42)
		if err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{a, other}); err != nil {
			t.Fatal(err)
		}
		next := *a
		next.User.Name, next.User.PasswordHash, next.User.IsActive, next.User.LastLogin = "Ann B", "bcrypt$$2b$12$x", false, nil
		next.Fingerprint = cutover.Fingerprint(next.User)
		if err := r.ImportedUsers.Update(ctx, next); err != nil {
			t.Fatalf("Update: %v", err)
		}
		got, err := r.Users.ByID(ctx, a.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertUser(t, got, next.User)
		if err := r.ImportedUsers.Update(ctx, next); err != nil {
			t.Errorf("Update with nothing to change = %v, want nil", err)
		}
		taken := next
		taken.User.Email, taken.User.EmailKey = other.User.Email, other.User.EmailKey
		if err := r.ImportedUsers.Update(ctx, taken); !errors.Is(err, accounts.ErrEmailTaken) {
			t.Errorf("Update onto a taken key = %v, want ErrEmailTaken", err)
		}
		absent := next
		absent.SourceID = 999
		assertKind(t, "Update of an unknown source ID", r.ImportedUsers.Update(ctx, absent), domain.KindNotFound)
	})

	t.Run("source IDs are walked in order", func(t *testing.T) {
		r := newRepos(t)
		var batch []*cutover.ImportedUser
		for _, id := range []int64{55, 51, 53} {
			batch = append(batch, imported(t, "U", id))
		}
		native := accountsUser(t, "Native")
		mustCreateUser(t, r.Users, &native)
		if err := r.ImportedUsers.Create(ctx, batch); err != nil {
			t.Fatal(err)
		}
		var got []int64
		for after := int64(0); ; {
			page, err := r.ImportedUsers.SourceIDsAfter(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, u := range page {
				got = append(got, u.SourceID)
			}
			after = page[len(page)-1].SourceID
		}
		if !slices.Equal(got, []int64{51, 53, 55}) {
			t.Errorf("walked %v, want [51 53 55]", got)
		}
	})

	t.Run("imported sessions are the sessions authentication reads", func(t *testing.T) {
		r := newRepos(t)
		u := imported(t, "S", 61)
		if err := r.ImportedUsers.Create(ctx, []*cutover.ImportedUser{u}); err != nil {
			t.Fatal(err)
		}
		exp := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
		a := cutover.ImportedSession{Session: session(t, u.User.ID, exp), Run: 1}
		b := cutover.ImportedSession{Session: session(t, u.User.ID, exp), Run: 1}
		native := session(t, u.User.ID, exp)
		mustCreateSession(t, r.Sessions, native)
		if err := r.ImportedSessions.Create(ctx, []cutover.ImportedSession{a, b}); err != nil {
			t.Fatalf("Create: %v", err)
		}
		got, err := r.Sessions.ByHash(ctx, a.Session.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		assertSession(t, got, a.Session)
		assertKind(t, "Create of an existing hash", r.ImportedSessions.Create(ctx, []cutover.ImportedSession{a}), domain.KindConflict)

		later := a
		later.Session.ExpiresAt, later.Run = exp.Add(time.Hour), 2
		nativeChange := cutover.ImportedSession{Session: native, Run: 2}
		nativeChange.Session.ExpiresAt = exp.Add(48 * time.Hour)
		if err := r.ImportedSessions.Update(ctx, []cutover.ImportedSession{later, nativeChange}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		if err := r.ImportedSessions.Confirm(ctx, 2, []string{b.Session.TokenHash, native.TokenHash}); err != nil {
			t.Fatalf("Confirm: %v", err)
		}
		all, err := r.ImportedSessions.ByHashes(ctx, []string{a.Session.TokenHash, b.Session.TokenHash, native.TokenHash})
		if err != nil || len(all) != 3 {
			t.Fatalf("ByHashes = %d, %v; want 3", len(all), err)
		}
		for _, s := range all {
			switch s.Session.TokenHash {
			case a.Session.TokenHash:
				if s.Run != 2 || !s.Session.ExpiresAt.Equal(later.Session.ExpiresAt) {
					t.Errorf("updated session = %+v", s)
				}
			case b.Session.TokenHash:
				if s.Run != 2 {
					t.Errorf("confirmed session has run %d, want 2", s.Run)
				}
			default:
				if s.Run != 0 || !s.Session.ExpiresAt.Equal(exp) {
					t.Errorf("a session started in Onit was changed by the import: %+v", s)
				}
			}
		}
		if stale, err := r.ImportedSessions.Stale(ctx, 2, 10); err != nil || len(stale) != 0 {
			t.Errorf("Stale(2) = %v, %v; want none", stale, err)
		}
		stale, err := r.ImportedSessions.Stale(ctx, 3, 1)
		if err != nil || len(stale) != 1 {
			t.Fatalf("Stale(3, limit 1) = %v, %v; want one", stale, err)
		}
		stale, _ = r.ImportedSessions.Stale(ctx, 3, 10)
		want := []string{a.Session.TokenHash, b.Session.TokenHash}
		slices.Sort(want)
		if slices.Sort(stale); !slices.Equal(stale, want) {
			t.Errorf("Stale(3) = %v, want the two imported sessions %v", stale, want)
		}
		if err := r.ImportedSessions.Delete(ctx, stale); err != nil {
			t.Fatal(err)
		}
		assertKind(t, "ByHash after Delete", func() error { _, err := r.Sessions.ByHash(ctx, a.Session.TokenHash); return err }(), domain.KindNotFound)
		if _, err := r.Sessions.ByHash(ctx, native.TokenHash); err != nil {
			t.Errorf("the native session is gone: %v", err)
		}
	})

	t.Run("runs", func(t *testing.T) {
		r := newRepos(t)
		src := "db.example:3306/onitweb users=auth_user sessions=django_session " + randomHex(t, 4)
		_, err := r.ImportRuns.Latest(ctx, src)
		assertKind(t, "Latest with no run", err, domain.KindNotFound)
		start := time.Date(2030, 3, 4, 5, 6, 7, 891011000, time.UTC)
		first := cutover.Run{Source: src, Phase: cutover.PhaseUsers, Tally: map[string]int64{}, StartedAt: start, UpdatedAt: start}
		if err := r.ImportRuns.Create(ctx, &first); err != nil || first.ID <= 0 {
			t.Fatalf("Create = %v, ID %d", err, first.ID)
		}
		second := first
		second.ID = 0
		if err := r.ImportRuns.Create(ctx, &second); err != nil || second.ID == first.ID {
			t.Fatalf("second Create = %v, ID %d", err, second.ID)
		}
		done := start.Add(time.Minute)
		second.Phase, second.AfterUserID, second.AfterSessionKey = cutover.PhaseSessions, 1234, "abc123"
		second.Tally = map[string]int64{"users_read": 10, "skipped:collision": 2}
		second.Collisions = []cutover.Collision{{EmailKey: "ann@x.com", SourceIDs: []int64{3, 9}}}
		second.Sample = []int64{1, 5}
		second.UpdatedAt, second.FinishedAt = done, &done
		if err := r.ImportRuns.Save(ctx, second); err != nil {
			t.Fatalf("Save: %v", err)
		}
		if err := r.ImportRuns.Save(ctx, second); err != nil {
			t.Errorf("Save with nothing to change = %v, want nil", err)
		}
		got, err := r.ImportRuns.Latest(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != second.ID || got.Phase != cutover.PhaseSessions || got.AfterUserID != 1234 || got.AfterSessionKey != "abc123" ||
			got.Tally["users_read"] != 10 || got.Tally["skipped:collision"] != 2 || len(got.Collisions) != 1 ||
			!slices.Equal(got.Collisions[0].SourceIDs, []int64{3, 9}) || !slices.Equal(got.Sample, []int64{1, 5}) ||
			!got.StartedAt.Equal(start) || got.FinishedAt == nil || !got.FinishedAt.Equal(done) {
			t.Errorf("Latest = %+v, want the saved second run", got)
		}
		if other, err := r.ImportRuns.Latest(ctx, src+"x"); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("Latest of another source = %+v, %v", other, err)
		}
		absent := second
		absent.ID = second.ID + 1000
		assertKind(t, "Save of an unknown run", r.ImportRuns.Save(ctx, absent), domain.KindNotFound)
	})
}

// DjangoSourceUsers are the users DjangoSource's suite reads. Emails 1 and
// 2 collide for Onit, as do 3 and 6; 4 and 5 differ by an accent, which
// Onit keeps apart.
func DjangoSourceUsers() []cutover.SourceUser {
	joined := time.Date(2019, 4, 5, 6, 7, 8, 901234000, time.UTC)
	last := time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.UTC)
	return []cutover.SourceUser{
		{ID: 1, Email: "Ann@X.com", FirstName: "Ann", LastName: "Lee", Username: "ann", Password: "pbkdf2_sha256$1$a$b",
			IsActive: true, IsStaff: true, IsSuperuser: true, DateJoined: joined, LastLogin: &last},
		{ID: 2, Email: " ann@x.com ", Username: "ann2", Password: "!x", IsActive: true, DateJoined: joined},
		{ID: 3, Email: "bob@x.com", Username: "bob", Password: "md5$s$h", IsActive: false, DateJoined: joined},
		{ID: 4, Email: "josé@x.com", Username: "jose1", Password: "x", IsActive: true, DateJoined: joined},
		{ID: 5, Email: "jose@x.com", Username: "jose2", Password: "x", IsActive: true, DateJoined: joined},
		{ID: 6, Email: "BOB@X.COM", Username: "bob2", Password: "x", IsActive: true, DateJoined: joined},
	}
}

// DjangoSourceSessions are the sessions DjangoSource's suite reads, live
// or not at DjangoSourceNow.
func DjangoSourceSessions() []cutover.SourceSession {
	return []cutover.SourceSession{
		{Key: "c2fjxq8k3z0m5n7p9r1t4v6x8z0b2d4f", Data: "data-c", ExpireDate: DjangoSourceNow.Add(time.Hour)},
		{Key: "a0b1c2d3e4f5g6h7i8j9k0l1m2n3o4p5", Data: "data-a", ExpireDate: DjangoSourceNow.Add(-time.Second)},
		{Key: "b9y8x7w6v5u4t3s2r1q0p9o8n7m6l5k4", Data: "data-b", ExpireDate: DjangoSourceNow.Add(2 * time.Hour)},
		{Key: "d00000000000000000000000000000ed", Data: "data-d", ExpireDate: DjangoSourceNow},
	}
}

// DjangoSourceNow is the instant DjangoSourceSessions are judged at.
var DjangoSourceNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// DjangoSource checks an implementation of ports.DjangoSource holding
// DjangoSourceUsers and DjangoSourceSessions.
func DjangoSource(t *testing.T, src ports.DjangoSource) {
	t.Helper()
	ctx := context.Background()
	want := DjangoSourceUsers()

	t.Run("users are walked by ID with every field", func(t *testing.T) {
		if n, err := src.CountUsers(ctx); err != nil || n != int64(len(want)) {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
		var got []cutover.SourceUser
		for after := int64(0); ; {
			page, err := src.Users(ctx, after, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		if len(got) != len(want) {
			t.Fatalf("walked %d users, want %d", len(got), len(want))
		}
		for i := range want {
			assertSourceUser(t, got[i], want[i])
		}
	})

	t.Run("users by ID", func(t *testing.T) {
		got, err := src.UsersByID(ctx, []int64{5, 99, 2})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b cutover.SourceUser) int { return int(a.ID - b.ID) })
		if len(got) != 2 || got[0].ID != 2 || got[1].ID != 5 {
			t.Fatalf("UsersByID = %+v, want users 2 and 5", got)
		}
		assertSourceUser(t, got[0], want[1])
		if none, err := src.UsersByID(ctx, nil); err != nil || len(none) != 0 {
			t.Errorf("UsersByID(nil) = %v, %v", none, err)
		}
	})

	t.Run("email candidates are the case and space variants only", func(t *testing.T) {
		got, err := src.EmailCandidates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, u := range got {
			ids = append(ids, u.ID)
			if u.Email != want[u.ID-1].Email {
				t.Errorf("candidate %d has email %q, want %q", u.ID, u.Email, want[u.ID-1].Email)
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []int64{1, 2, 3, 6}) {
			t.Errorf("EmailCandidates = %v, want [1 2 3 6]", ids)
		}
	})

	t.Run("sessions live at now, by key", func(t *testing.T) {
		live, expired, err := src.CountSessions(ctx, DjangoSourceNow)
		if err != nil || live != 2 || expired != 2 {
			t.Fatalf("CountSessions = %d live, %d expired, %v; want 2, 2", live, expired, err)
		}
		first, err := src.Sessions(ctx, "", DjangoSourceNow, 1)
		if err != nil || len(first) != 1 || first[0].Key != "b9y8x7w6v5u4t3s2r1q0p9o8n7m6l5k4" || first[0].Data != "data-b" ||
			!first[0].ExpireDate.Equal(DjangoSourceNow.Add(2*time.Hour)) {
			t.Fatalf("Sessions(first) = %+v, %v", first, err)
		}
		rest, err := src.Sessions(ctx, first[0].Key, DjangoSourceNow, 10)
		if err != nil || len(rest) != 1 || rest[0].Key != "c2fjxq8k3z0m5n7p9r1t4v6x8z0b2d4f" {
			t.Fatalf("Sessions(after) = %+v, %v", rest, err)
		}
	})
}

func assertSourceUser(t *testing.T, got, want cutover.SourceUser) {
	t.Helper()
	lastEq := (got.LastLogin == nil) == (want.LastLogin == nil) && (got.LastLogin == nil || got.LastLogin.Equal(*want.LastLogin))
	if got.ID != want.ID || got.Email != want.Email || got.FirstName != want.FirstName || got.LastName != want.LastName ||
		got.Username != want.Username || got.Password != want.Password || got.IsActive != want.IsActive ||
		got.IsStaff != want.IsStaff || got.IsSuperuser != want.IsSuperuser || !got.DateJoined.Equal(want.DateJoined) || !lastEq {
		t.Errorf("source user %d = %+v, want %+v", want.ID, got, want)
	}
}
