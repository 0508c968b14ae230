package cutover_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/djangosession/djangosessiontest"
	"github.com/onitapp/onit/app/cutover"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	dc "github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// djangoUsers is a source with one of each case the import handles.
func djangoUsers() []dc.SourceUser {
	last := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	ann := user(1, "Ann@Example.com", hashPBKDF2)
	ann.IsStaff, ann.IsSuperuser, ann.LastLogin, ann.Language = true, true, &last, "de-at"
	bob := user(2, "bob@example.com", hashPBKDF2Old)
	bob.FirstName, bob.LastName = "", ""
	carol := user(3, "carol@example.com", hashSHA1)
	carol.Language = "pt-br"
	dan := user(4, "dan@example.com", hashArgon2)
	dan.IsActive = false
	eve := user(5, "eve@example.com", hashBcrypt)
	eve.FirstName, eve.LastName, eve.Username = "", "", ""
	return []dc.SourceUser{ann, bob, carol, dan, eve,
		user(6, "frank@example.com", hashMD5),
		user(7, "gina@example.com", hashUnusable),
		user(8, "Dup@Example.com", hashPBKDF2),
		user(9, " dup@example.com", hashPBKDF2),
		user(10, "", hashPBKDF2),
		user(11, "not an email", hashPBKDF2),
	}
}

func TestFirstImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t, djangoUsers(), nil)
	rep := f.run(t, cutover.Options{})

	want := cutover.Counts{Read: 11, Imported: 6, Skipped: map[string]int64{
		"unverifiable_hash": 1, "collision": 2, "invalid_email": 2}}
	if !sameCounts(rep.Users, want) {
		t.Errorf("users = %+v, want %+v", rep.Users, want)
	}
	if !maps.Equal(rep.Unverifiable, map[string]int64{"md5": 1}) {
		t.Errorf("unverifiable = %v, want md5: 1", rep.Unverifiable)
	}
	wantAlgs := map[string]int64{"pbkdf2_sha256": 4, "pbkdf2_sha1": 1, "argon2": 1, "bcrypt_sha256": 1}
	if !maps.Equal(rep.Algorithms, wantAlgs) {
		t.Errorf("algorithms = %v, want %v", rep.Algorithms, wantAlgs)
	}
	wantNotes := map[string]int64{"unusable_password": 1, "name_from_username": 1, "name_from_email": 1, "language_default": 1}
	if !maps.Equal(rep.Notes, wantNotes) {
		t.Errorf("notes = %v, want %v", rep.Notes, wantNotes)
	}
	if len(rep.Collisions) != 1 || rep.Collisions[0].EmailKey != "dup@example.com" || !slices.Equal(rep.Collisions[0].SourceIDs, []int64{8, 9}) {
		t.Errorf("collisions = %+v", rep.Collisions)
	}
	if rep.RunID == 0 || rep.DryRun || rep.Resumed || rep.SessionsNotImported != "" {
		t.Errorf("report = %+v", rep)
	}

	ann := f.userByEmail(t, "ann@example.com")
	if ann.Email != "Ann@Example.com" || ann.Name != "User 1" || ann.PasswordHash != hashPBKDF2 || ann.Language != "de" ||
		!ann.IsStaff || !ann.IsSuperuser || !ann.IsActive || !ann.DateJoined.Equal(joined) || ann.LastLogin == nil {
		t.Errorf("ann = %+v", ann)
	}
	if bob := f.userByEmail(t, "bob@example.com"); bob.Name != "u2" {
		t.Errorf("bob's name = %q, want the username", bob.Name)
	}
	if carol := f.userByEmail(t, "carol@example.com"); carol.Language != "en" {
		t.Errorf("carol's language = %q, want the default for pt-br", carol.Language)
	}
	if dan := f.userByEmail(t, "dan@example.com"); dan.IsActive {
		t.Error("an inactive Django user was imported active")
	}
	if eve := f.userByEmail(t, "eve@example.com"); eve.Name != "eve" || eve.PasswordHash != hashBcrypt {
		t.Errorf("eve = %+v", eve)
	}
	if gina := f.userByEmail(t, "gina@example.com"); gina.PasswordHash != hashUnusable {
		t.Errorf("gina's unusable password became %q", gina.PasswordHash)
	}
	for _, email := range []string{"frank@example.com", "dup@example.com"} {
		if _, err := f.users.ByEmailKey(context.Background(), accounts.EmailKey(email)); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("%s was imported: %v", email, err)
		}
	}
	if v := rep.Verification; v.Checked == 0 || v.Passed != v.Checked || len(v.Problems) != 0 {
		t.Errorf("verification = %+v", v)
	}
}

func sameCounts(a, b cutover.Counts) bool {
	return a.Read == b.Read && a.Imported == b.Imported && a.Updated == b.Updated && a.Unchanged == b.Unchanged &&
		a.Removed == b.Removed && maps.Equal(a.Skipped, b.Skipped)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ann, bob, dan := user(1, "ann@example.com", hashPBKDF2), user(2, "bob@example.com", hashSHA1), user(4, "dan@example.com", hashArgon2)
	dan.IsActive = false
	dup1, dup2 := user(8, "dup@example.com", hashPBKDF2), user(9, "DUP@example.com", hashPBKDF2)
	live := t0.Add(14 * 24 * time.Hour)
	stale := ann
	stale.Password = hashPBKDF2Old // logged in before a password change
	forged := login(key("forged"), ann, live, djangosessiontest.CompressNever)
	forged.Data = djangosessiontest.Encode("another-key", djangosessiontest.Login("another-key", 1, hashPBKDF2), djangosessiontest.CompressNever, t0)
	anon := dc.SourceSession{Key: key("anon"), ExpireDate: live,
		Data: djangosessiontest.Encode(secret, map[string]any{"django_language": "fr"}, djangosessiontest.CompressIfSmaller, t0)}
	sessions := []dc.SourceSession{
		login(key("a1"), ann, live, djangosessiontest.CompressAlways),
		login(key("a2"), ann, live.Add(time.Hour), djangosessiontest.CompressNever),
		login(key("b1"), bob, live, djangosessiontest.CompressIfSmaller),
		login(key("expired"), ann, t0.Add(-time.Minute), djangosessiontest.CompressNever),
		login(key("stale"), stale, live, djangosessiontest.CompressNever),
		login(key("inactive"), dan, live, djangosessiontest.CompressNever),
		login(key("ghost"), user(99, "ghost@example.com", hashPBKDF2), live, djangosessiontest.CompressNever),
		login(key("dup"), dup1, live, djangosessiontest.CompressNever),
		forged, anon,
		{Key: key("garbage"), Data: "not a session", ExpireDate: live},
	}
	f := newFixture(t, []dc.SourceUser{ann, bob, dan, dup1, dup2}, sessions)
	rep := f.run(t, cutover.Options{})
	want := cutover.Counts{Read: 10, Imported: 3, Skipped: map[string]int64{
		"expired": 1, "hash_mismatch": 1, "inactive": 1, "unknown_user": 1, "user_not_imported": 1,
		"bad_signature": 2, "anonymous": 1}}
	if !sameCounts(rep.Sessions, want) {
		t.Errorf("sessions = %+v, want %+v", rep.Sessions, want)
	}
	annID := f.userByEmail(t, "ann@example.com").ID
	for _, k := range []string{key("a1"), key("a2")} {
		s, ok := f.session(t, k)
		if !ok || s.UserID != annID {
			t.Fatalf("session %s = %+v, %v", k, s, ok)
		}
		if k == key("a2") && !s.ExpiresAt.Equal(live.Add(time.Hour)) {
			t.Errorf("expiry %v, want Django's %v", s.ExpiresAt, live.Add(time.Hour))
		}
		if !s.CreatedAt.Equal(t0.Add(-time.Hour)) {
			t.Errorf("created %v, want the signature's time", s.CreatedAt)
		}
	}
	for _, k := range []string{"expired", "stale", "inactive", "ghost", "dup", "forged", "anon", "garbage"} {
		if _, ok := f.session(t, key(k)); ok {
			t.Errorf("session %s was imported", k)
		}
	}
}

func TestSecondRunChangesNothing(t *testing.T) {
	t.Parallel()
	ann := user(1, "ann@example.com", hashPBKDF2)
	f := newFixture(t, djangoUsers(), []dc.SourceSession{login(key("a1"), ann, t0.Add(time.Hour), djangosessiontest.CompressNever)})
	first := f.run(t, cutover.Options{})
	before := snapshot(t, f)
	f.clock.advance(time.Minute)
	second := f.run(t, cutover.Options{})
	if second.RunID == first.RunID {
		t.Error("the second run reused the first's ID")
	}
	if u := second.Users; u.Imported != 0 || u.Updated != 0 || u.Removed != 0 || u.Unchanged != first.Users.Imported {
		t.Errorf("second run users = %+v, want everything unchanged", u)
	}
	if s := second.Sessions; s.Imported != 0 || s.Updated != 0 || s.Removed != 0 || s.Unchanged != 1 {
		t.Errorf("second run sessions = %+v, want one unchanged", s)
	}
	if after := snapshot(t, f); !maps.Equal(before, after) {
		t.Errorf("the second run changed Onit:\nbefore %v\nafter  %v", before, after)
	}
}

// snapshot lists every user and session of the fixture's Onit, by email
// key and token hash.
func snapshot(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for id := int64(1); id < 100; id++ {
		u, err := f.users.ByID(ctx, id)
		if err != nil {
			continue
		}
		out["user "+u.EmailKey] = dc.Fingerprint(u) + " " + itoa(u.ID)
	}
	src, _ := f.repos.ImportedUsers.SourceIDsAfter(ctx, 0, 1000)
	for _, u := range src {
		out["link "+itoa(u.SourceID)] = itoa(u.User.ID) + " " + u.Fingerprint
	}
	for _, k := range []string{key("a1"), key("a2"), key("b1")} {
		if s, ok := f.session(t, k); ok {
			out["session "+k] = itoa(s.UserID) + " " + s.ExpiresAt.String() + " " + s.CreatedAt.String()
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRerunFollowsDjango(t *testing.T) {
	t.Parallel()
	ann, bob, cy := user(1, "ann@example.com", hashPBKDF2), user(2, "bob@example.com", hashSHA1), user(3, "cy@example.com", hashArgon2)
	live := t0.Add(24 * time.Hour)
	f := newFixture(t, []dc.SourceUser{ann, bob, cy}, []dc.SourceSession{
		login(key("a1"), ann, live, djangosessiontest.CompressNever),
		login(key("b1"), bob, live, djangosessiontest.CompressNever),
		login(key("c1"), cy, live, djangosessiontest.CompressNever),
	})
	f.run(t, cutover.Options{})

	// In Django meanwhile: Ann renamed herself and her session was
	// extended; Bob changed his password (his old session dies, Django's
	// rule); Cy's account was deleted.
	ann.FirstName = "Annabel"
	bob.Password = hashBcrypt
	annSession := login(key("a1"), ann, live.Add(time.Hour), djangosessiontest.CompressNever)
	f.source.Set([]dc.SourceUser{ann, bob}, []dc.SourceSession{annSession,
		login(key("b1"), user(2, "bob@example.com", hashSHA1), live, djangosessiontest.CompressNever)})
	f.clock.advance(time.Hour)
	rep := f.run(t, cutover.Options{})

	if u := rep.Users; u.Updated != 2 || u.Unchanged != 0 || u.Removed != 1 {
		t.Errorf("users = %+v, want 2 updated, 1 deactivated", u)
	}
	if s := rep.Sessions; s.Updated != 1 || s.Removed != 2 || s.Skipped["hash_mismatch"] != 1 {
		t.Errorf("sessions = %+v, want Ann's updated, Bob's and Cy's revoked", s)
	}
	if got := f.userByEmail(t, "ann@example.com"); got.Name != "Annabel 1" {
		t.Errorf("ann's name = %q", got.Name)
	}
	if got := f.userByEmail(t, "bob@example.com"); got.PasswordHash != hashBcrypt {
		t.Errorf("bob's hash = %q, want Django's new one", got.PasswordHash)
	}
	if got := f.userByEmail(t, "cy@example.com"); got.IsActive {
		t.Error("a user deleted in Django is still active")
	}
	if s, ok := f.session(t, key("a1")); !ok || !s.ExpiresAt.Equal(live.Add(time.Hour)) {
		t.Errorf("ann's session = %+v, %v; want the new expiry", s, ok)
	}
	for _, k := range []string{"b1", "c1"} {
		if _, ok := f.session(t, key(k)); ok {
			t.Errorf("session %s survived", k)
		}
	}
}

func TestChangesMadeInOnitWin(t *testing.T) {
	t.Parallel()
	ann, bob := user(1, "ann@example.com", hashPBKDF2Old), user(2, "bob@example.com", hashSHA1)
	live := t0.Add(24 * time.Hour)
	f := newFixture(t, []dc.SourceUser{ann, bob}, []dc.SourceSession{
		login(key("a1"), ann, live, djangosessiontest.CompressNever),
		login(key("b1"), bob, live, djangosessiontest.CompressNever),
	})
	f.run(t, cutover.Options{})
	// After the switch Ann logs in to Onit: her hash is upgraded and her
	// last login moves. Bob does nothing.
	ctx := context.Background()
	annID := f.userByEmail(t, "ann@example.com").ID
	if _, err := f.users.Update(ctx, annID, func(u *accounts.User) error {
		now := t0.Add(time.Hour)
		u.PasswordHash, u.LastLogin = hashPBKDF2, &now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ann.FirstName = "Changed in Django too"
	f.source.Set([]dc.SourceUser{ann, bob}, []dc.SourceSession{
		login(key("a1"), user(1, "ann@example.com", hashPBKDF2Old), live, djangosessiontest.CompressNever),
		login(key("b1"), bob, live, djangosessiontest.CompressNever),
	})
	f.clock.advance(2 * time.Hour)
	rep := f.run(t, cutover.Options{})
	if rep.Users.Skipped["changed_in_onit"] != 1 || rep.Users.Unchanged != 1 {
		t.Errorf("users = %+v, want Ann kept as Onit has her", rep.Users)
	}
	if got := f.userByEmail(t, "ann@example.com"); got.PasswordHash != hashPBKDF2 || got.Name != "User 1" {
		t.Errorf("ann = %+v: the re-run overwrote what changed in Onit", got)
	}
	if rep.Sessions.Skipped["password_changed_in_onit"] != 1 || rep.Sessions.Removed != 1 {
		t.Errorf("sessions = %+v: Ann's Django session must not outlive her Onit password change", rep.Sessions)
	}
	if _, ok := f.session(t, key("b1")); !ok {
		t.Error("Bob's session was revoked")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	ann := user(1, "ann@example.com", hashPBKDF2)
	sessions := []dc.SourceSession{login(key("a1"), ann, t0.Add(time.Hour), djangosessiontest.CompressNever)}
	dry := newFixture(t, djangoUsers(), sessions)
	rep := dry.run(t, cutover.Options{DryRun: true})
	if !rep.DryRun || rep.RunID != 0 || rep.Verification.NotRun == "" {
		t.Errorf("report = %+v", rep)
	}
	if len(snapshot(t, dry)) != 0 {
		t.Errorf("the dry run wrote %v", snapshot(t, dry))
	}
	if _, err := dry.repos.ImportRuns.Latest(context.Background(), dry.source.Describe()); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("the dry run recorded a run: %v", err)
	}
	real := newFixture(t, djangoUsers(), sessions)
	want := real.run(t, cutover.Options{})
	if !sameCounts(rep.Users, want.Users) || !sameCounts(rep.Sessions, want.Sessions) {
		t.Errorf("dry run said users %+v sessions %+v; the real run did %+v %+v", rep.Users, rep.Sessions, want.Users, want.Sessions)
	}
}

func TestInterruptedRunResumes(t *testing.T) {
	t.Parallel()
	var users []dc.SourceUser
	var sessions []dc.SourceSession
	for id := int64(1); id <= 20; id++ {
		u := user(id, "user"+itoa(id)+"@example.com", hashPBKDF2)
		users = append(users, u)
		sessions = append(sessions, login(key("s"+itoa(id)), u, t0.Add(time.Hour), djangosessiontest.CompressNever))
	}
	f := newFixture(t, users, sessions)
	ctx, cancel := context.WithCancel(context.Background())
	p := newProgress()
	p.onAdv = func(phase string, done int64) {
		if phase == "sessions" && done >= 9 {
			cancel()
		}
	}
	_, err := f.importer().Run(ctx, cutover.Options{}, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v, want context.Canceled", err)
	}
	f.clock.advance(time.Minute)
	p2 := newProgress()
	rep, err := f.importer().Run(context.Background(), cutover.Options{}, p2)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed || rep.Users.Read != 20 || rep.Users.Imported != 20 || rep.Sessions.Read != 20 || rep.Sessions.Imported != 20 {
		t.Errorf("resumed report = %+v / %+v, want every row counted once", rep.Users, rep.Sessions)
	}
	if slices.Contains(p2.phases, "users") {
		t.Errorf("the resumed run walked the users again: phases %v", p2.phases)
	}
	if p2.advance["sessions"] != 20 || p2.totals["sessions"] != 20 {
		t.Errorf("progress after resuming = %d of %d, want 20 of 20", p2.advance["sessions"], p2.totals["sessions"])
	}
	for id := int64(1); id <= 20; id++ {
		if _, ok := f.session(t, key("s"+itoa(id))); !ok {
			t.Errorf("session %d missing after the resumed run", id)
		}
	}
}

func TestOldInterruptedRunIsAbandoned(t *testing.T) {
	t.Parallel()
	f := newFixture(t, djangoUsers(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	p := newProgress()
	p.onAdv = func(string, int64) { cancel() }
	if _, err := f.importer().Run(ctx, cutover.Options{}, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	f.clock.advance(2 * cutover.DefaultResumeWithin)
	rep := f.run(t, cutover.Options{})
	if rep.Resumed || rep.AbandonedRun == 0 || rep.Users.Read != 11 {
		t.Errorf("report = %+v, want a fresh run reading everything, the old one named", rep)
	}
	// --restart abandons even a recent one.
	ctx, cancel = context.WithCancel(context.Background())
	p.onAdv = func(string, int64) { cancel() }
	if _, err := f.importer().Run(ctx, cutover.Options{}, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if rep := f.run(t, cutover.Options{Restart: true}); rep.Resumed || rep.Users.Read != 11 {
		t.Errorf("restarted report = %+v", rep)
	}
}

func TestWithoutSecretKey(t *testing.T) {
	t.Parallel()
	ann := user(1, "ann@example.com", hashPBKDF2)
	f := newFixture(t, []dc.SourceUser{ann}, []dc.SourceSession{login(key("a1"), ann, t0.Add(time.Hour), djangosessiontest.CompressNever)})
	f.codec = nil
	rep := f.run(t, cutover.Options{})
	if rep.SessionsNotImported == "" || rep.Sessions.Read != 0 || rep.Users.Imported != 1 {
		t.Errorf("report = %+v", rep)
	}
	if _, ok := f.session(t, key("a1")); ok {
		t.Error("a session was imported without the key")
	}
}

func TestEmailAlreadyInOnit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, []dc.SourceUser{user(1, "ann@example.com", hashPBKDF2)}, nil)
	native, err := accounts.NewUser("ANN@example.com", "Someone else", "en", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.users.Create(context.Background(), &native); err != nil {
		t.Fatal(err)
	}
	rep := f.run(t, cutover.Options{})
	if rep.Users.Skipped["email_taken"] != 1 || rep.Users.Imported != 0 {
		t.Errorf("users = %+v", rep.Users)
	}
	if got := f.userByEmail(t, "ann@example.com"); got.Name != "Someone else" {
		t.Errorf("the Onit account was overwritten: %+v", got)
	}
}

func TestBatchSizeBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, nil)
	f.cfg.BatchSize = cutover.MaxBatchSize + 1
	_, err := f.importer().Run(context.Background(), cutover.Options{}, newProgress())
	if !errors.Is(err, cutover.ErrBatchSize) {
		t.Fatalf("Run = %v, want ErrBatchSize", err)
	}
}

// corruptingUsers stores a different hash than it is given, as a broken
// store would.
type corruptingUsers struct{ ports.ImportedUserRepository }

func (c corruptingUsers) Create(ctx context.Context, users []*dc.ImportedUser) error {
	for _, u := range users {
		u.User.PasswordHash += "x"
	}
	return c.ImportedUserRepository.Create(ctx, users)
}

func TestVerificationCatchesWrongHashes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, djangoUsers(), nil)
	f.repos.ImportedUsers = corruptingUsers{f.repos.ImportedUsers}
	f.uow = memoryUoW{repos: f.repos}
	rep := f.run(t, cutover.Options{})
	v := rep.Verification
	if v.Checked == 0 || v.Passed != 0 || len(v.Problems) != v.Checked || !strings.Contains(v.Problems[0], "not Django's") {
		t.Errorf("verification = %+v, want every sampled user reported", v)
	}
}

// memoryUoW hands the fixture's (wrapped) repositories to each unit of
// work; the memory twins need no transaction for these tests.
type memoryUoW struct{ repos ports.Repos }

func (u memoryUoW) Transact(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	return fn(ctx, u.repos)
}
