package onittest_test

// The cutover from the Django backend end to end: a Django-shaped source
// database on the test server, `onit import django` run as an operator
// would, and then the imported users and sessions used through the real
// HTTP wiring.

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/uptrace/bun"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/djangosession/djangosessiontest"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/bootstrap"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/migrations"
)

const djangoSecret = "django-insecure-0nitweb-s3cret-k3y-that-signed-every-session-!#"

// Hashes made by Django 3.2's own hashers (adapters/djangohash/testdata),
// all of the password "lètmein".
const (
	djPBKDF2Current = "pbkdf2_sha256$870000$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac="
	djArgon2        = "argon2$argon2id$v=19$m=102400,t=2,p=8$WTA0MWRFeGhOa2xqUlVVeQ$YjsFjo68MH5zGTw2bRGwdg"
	djArgon2v16     = "argon2$argon2id$v=16$m=256,t=2,p=4$c2Vhc2FsdHNlYXNhbHQ$5IxCTtSGTD15Fs3jJPfWys2x15NZJP/5OSA9qyRbaYI"
	djBcryptSHA256  = "bcrypt_sha256$$2b$12$Ro0CUfOqk6cXEKf3dyaM7Oc3mvq5kAGzpMOiFZcWXpDDYnLjfqzX."
	djBcrypt        = "bcrypt$$2b$05$ZYXWVUTSRQPONMLKJIHGFe6xZCgbBIrVJSYvseiyFTp3cYYPY0RXK"
	djPassword      = "lètmein"
)

// pbkdf2Django encodes like Django's PBKDF2 hashers.
func pbkdf2Django(t *testing.T, sha string, password, salt string, iterations int) string {
	t.Helper()
	h, size := sha256.New, 32
	if sha == "sha1" {
		h, size = sha1.New, 20
	}
	key, err := pbkdf2.Key(h, password, []byte(salt), iterations, size)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_%s$%d$%s$%s", sha, iterations, salt, base64.StdEncoding.EncodeToString(key))
}

type djangoUser struct {
	cutover.SourceUser
	password string // the clear password, "" when nobody can log in
}

func djangoFixture(t *testing.T) []djangoUser {
	joined := time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)
	u := func(id int64, email, hash, pw string) djangoUser {
		return djangoUser{SourceUser: cutover.SourceUser{ID: id, Email: email, FirstName: "Person", LastName: fmt.Sprint(id),
			Username: fmt.Sprintf("person%d", id), Password: hash, IsActive: true, DateJoined: joined}, password: pw}
	}
	ann := u(1, "Ann@Example.com", djPBKDF2Current, djPassword)
	ann.IsStaff = true
	return []djangoUser{
		ann,
		u(2, "bob@example.com", pbkdf2Django(t, "sha256", "bob's old password", "abcdefghijklmnopqrstuv", 260000), "bob's old password"),
		u(3, "carol@example.com", pbkdf2Django(t, "sha1", "carol-sha1", "seasaltseasalt", 10000), "carol-sha1"),
		u(4, "dora@example.com", djArgon2, djPassword),
		u(5, "emil@example.com", djArgon2v16, djPassword),
		u(6, "finn@example.com", djBcryptSHA256, djPassword),
		u(7, "gus@example.com", djBcrypt, djPassword),
		u(8, "hana@example.com", "!Xk2mQp9RzT4vB7nC1wE6yU3iO8aS5dF0gH", ""),
		u(9, "ivan@example.com", "md5$seasalt$5f4dcc3b5aa765d61d8327deb882cf99", ""),
		u(10, "Jo@Example.com", djPBKDF2Current, djPassword),
		u(11, "jo@example.com ", djPBKDF2Current, djPassword),
	}
}

// djangoKeys are the session keys (cookie values) of the fixture's sessions.
var djangoKeys = struct{ annZip, finnPlain, expired, forged, stale, anonymous string }{
	annZip: "k1ann0compressed0000000000000000", finnPlain: "k2finn0plain00000000000000000000",
	expired: "k3expired00000000000000000000000", forged: "k4forged0000000000000000000000000"[:32],
	stale: "k5stale0000000000000000000000000", anonymous: "k6anonymous000000000000000000000",
}

func djangoSessions(users []djangoUser, now time.Time) []cutover.SourceSession {
	live := now.Add(13 * 24 * time.Hour).Truncate(time.Microsecond)
	enc := func(key string, userID int64, passwordHash string, exp time.Time, comp djangosessiontest.Compression) cutover.SourceSession {
		return cutover.SourceSession{Key: key, ExpireDate: exp,
			Data: djangosessiontest.Encode(djangoSecret, djangosessiontest.Login(djangoSecret, userID, passwordHash), comp, now.Add(-time.Hour))}
	}
	ann, bob, carol, finn := users[0], users[1], users[2], users[5]
	forged := enc(djangoKeys.forged, bob.ID, bob.Password, live, djangosessiontest.CompressNever)
	forged.Data = djangosessiontest.Encode("not-the-secret", djangosessiontest.Login("not-the-secret", bob.ID, bob.Password),
		djangosessiontest.CompressNever, now)
	return []cutover.SourceSession{
		enc(djangoKeys.annZip, ann.ID, ann.Password, live, djangosessiontest.CompressAlways),
		enc(djangoKeys.finnPlain, finn.ID, finn.Password, live, djangosessiontest.CompressNever),
		enc(djangoKeys.expired, ann.ID, ann.Password, now.Add(-time.Hour), djangosessiontest.CompressNever),
		forged,
		// Carol logged in, then changed her password: Django ends this session.
		enc(djangoKeys.stale, carol.ID, "pbkdf2_sha1$10000$oldsalt$carolsPreviousPasswordHash=", live, djangosessiontest.CompressIfSmaller),
		{Key: djangoKeys.anonymous, ExpireDate: live,
			Data: djangosessiontest.Encode(djangoSecret, map[string]any{"django_language": "de"}, djangosessiontest.CompressIfSmaller, now)},
	}
}

// importEnv prepares a migrated Onit database and the variables that
// point `onit` at it; it returns them with a pool on that database.
func importEnv(t *testing.T) (map[string]string, *bun.DB) {
	t.Helper()
	dsn := mysqltest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := mysql.Open(ctx, mysqltest.Settings(dsn), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	r, err := migrations.NewRunner(db.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"ONIT_ENV": "test", "ONIT_MYSQL_DSN": dsn, "ONIT_REDIS_ADDRS": redisAddr(t),
		"ONIT_REDIS_KEY_PREFIX": fmt.Sprintf("onit:import:%d:", time.Now().UnixNano()), "ONIT_LOG_LEVEL": "error"}, db
}

func redisAddr(t *testing.T) string {
	t.Helper()
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatal(err)
	}
	if ts.RedisAddr != "" {
		if c, err := net.DialTimeout("tcp", ts.RedisAddr, 2*time.Second); err == nil {
			_ = c.Close()
			return ts.RedisAddr
		} else if ts.Require {
			t.Fatalf("ONIT_TEST_REDIS_ADDR: %v", err)
		}
	}
	return miniredis.RunT(t).Addr()
}

// importReport is the part of --format json the tests read.
type importReport struct {
	RunID  int64 `json:"run_id"`
	DryRun bool  `json:"dry_run"`
	Users  struct {
		Read, Imported, Updated, Unchanged, Deactivated int64
		Skipped                                         map[string]int64
		Algorithms                                      map[string]int64
		Unverifiable                                    map[string]int64 `json:"unverifiable_algorithms"`
		Notes                                           map[string]int64
	} `json:"users"`
	Sessions struct {
		Read, Imported, Updated, Unchanged, Revoked int64
		Skipped                                     map[string]int64
	} `json:"sessions"`
	Collisions []struct {
		EmailKey  string  `json:"email_key"`
		SourceIDs []int64 `json:"source_ids"`
	} `json:"collisions"`
	Verification struct {
		Checked, Passed int
		Problems        []string
	} `json:"verification"`
}

// runImport runs `onit import django` with the environment and returns
// the decoded JSON report and the progress output.
func runImport(t *testing.T, environ map[string]string, args ...string) (importReport, string) {
	t.Helper()
	for k, v := range environ {
		t.Setenv(k, v)
	}
	var out, errb strings.Builder
	code := bootstrap.Main(context.Background(), append([]string{"import", "django", "--format", "json"}, args...),
		cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("onit import django exited %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	var rep importReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	return rep, errb.String()
}

// dump lists every row of the tables the import writes, to compare runs.
func dump(t *testing.T, db *bun.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT id, email, email_key, name, password, language, is_active, is_staff, is_superuser, date_joined, COALESCE(last_login, ''), COALESCE(django_id, 0), COALESCE(django_fingerprint, '') FROM users ORDER BY id",
		"SELECT id, token_hash, user_id, created_at, expires_at, '', '', '', '', '', '', '', '' FROM sessions ORDER BY id",
	} {
		dumpQuery(t, db, q, &b)
	}
	return b.String()
}

func dumpQuery(t *testing.T, db *bun.DB, q string, b *strings.Builder) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]sql.NullString, 13)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(b, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportDjangoThenUseOnit(t *testing.T) {
	srcDSN, srcDB := mysqltest.DjangoDatabase(t)
	users := djangoFixture(t)
	rows := make([]cutover.SourceUser, len(users))
	for i, u := range users {
		rows[i] = u.SourceUser
	}
	mysqltest.InsertDjangoUsers(t, srcDB, rows)
	mysqltest.InsertDjangoSessions(t, srcDB, djangoSessions(users, time.Now().UTC()))
	environ, db := importEnv(t)
	keyFile := writeFile(t, "secret", "\n"+djangoSecret+"\nan-old-fallback-key\n")
	dsnFile := writeFile(t, "dsn", srcDSN+"\n")

	rep, progress := runImport(t, environ, "--source-dsn-file", dsnFile, "--secret-key-file", keyFile, "--batch", "4")
	if rep.RunID == 0 || rep.Users.Read != 11 || rep.Users.Imported != 8 || rep.Users.Skipped["collision"] != 2 ||
		rep.Users.Skipped["unverifiable_hash"] != 1 || rep.Users.Unverifiable["md5"] != 1 || rep.Users.Notes["unusable_password"] != 1 {
		t.Errorf("users report = %+v", rep.Users)
	}
	for alg, n := range map[string]int64{"pbkdf2_sha256": 2, "pbkdf2_sha1": 1, "argon2": 2, "bcrypt_sha256": 1, "bcrypt": 1} {
		if rep.Users.Algorithms[alg] != n {
			t.Errorf("algorithm %s: %d, want %d (all: %v)", alg, rep.Users.Algorithms[alg], n, rep.Users.Algorithms)
		}
	}
	if len(rep.Collisions) != 1 || rep.Collisions[0].EmailKey != "jo@example.com" {
		t.Errorf("collisions = %+v", rep.Collisions)
	}
	wantSkips := map[string]int64{"expired": 1, "bad_signature": 1, "hash_mismatch": 1, "anonymous": 1}
	if rep.Sessions.Read != 5 || rep.Sessions.Imported != 2 || fmt.Sprint(rep.Sessions.Skipped) != fmt.Sprint(wantSkips) {
		t.Errorf("sessions report = %+v, want 2 imported and skips %v", rep.Sessions, wantSkips)
	}
	if rep.Verification.Checked == 0 || rep.Verification.Passed != rep.Verification.Checked {
		t.Errorf("verification = %+v", rep.Verification)
	}
	for _, want := range []string{"users: 11 to go", "users: 11/11 (100%)", "sessions: 5 to go", "sessions: done"} {
		if !strings.Contains(progress, want) {
			t.Errorf("progress output lacks %q:\n%s", want, progress)
		}
	}

	t.Run("a second run changes nothing", func(t *testing.T) {
		before := dump(t, db)
		again, _ := runImport(t, environ, "--source-dsn", srcDSN, "--secret-key-file", keyFile)
		if again.RunID == rep.RunID || again.Users.Imported != 0 || again.Users.Updated != 0 || again.Users.Unchanged != 8 ||
			again.Sessions.Imported != 0 || again.Sessions.Updated != 0 || again.Sessions.Revoked != 0 || again.Sessions.Unchanged != 2 {
			t.Errorf("second run: users %+v sessions %+v", again.Users, again.Sessions)
		}
		if after := dump(t, db); after != before {
			t.Errorf("the second run changed the tables:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	app := onittest.New(t, onittest.WithDB(db))
	me := func(hdr ...string) (int, string) {
		r := app.Do(t, "GET", "/api/v1/me", nil, hdr...)
		var u struct {
			Email string `json:"email"`
		}
		if r.Status == http.StatusOK {
			r.JSON(t, &u)
		}
		return r.Status, u.Email
	}
	t.Run("Django session keys work as the cookie and as bearer tokens", func(t *testing.T) {
		for key, email := range map[string]string{djangoKeys.annZip: "Ann@Example.com", djangoKeys.finnPlain: "finn@example.com"} {
			if st, got := me("Cookie", "sessionid="+key); st != http.StatusOK || got != email {
				t.Errorf("cookie %s: %d %q, want 200 %q", key, st, got, email)
			}
			if st, got := me(onittest.Bearer(key)...); st != http.StatusOK || got != email {
				t.Errorf("bearer %s: %d %q, want 200 %q", key, st, got, email)
			}
		}
	})
	t.Run("rejected sessions do not", func(t *testing.T) {
		for _, key := range []string{djangoKeys.expired, djangoKeys.forged, djangoKeys.stale, djangoKeys.anonymous, "nosuchsession000000000000000000"} {
			if st, _ := me("Cookie", "sessionid="+key); st != http.StatusUnauthorized {
				t.Errorf("cookie %s: %d, want 401", key, st)
			}
			if st, _ := me(onittest.Bearer(key)...); st != http.StatusUnauthorized {
				t.Errorf("bearer %s: %d, want 401", key, st)
			}
		}
	})
	t.Run("users log in with their Django password and are upgraded", func(t *testing.T) {
		repo := mysql.NewUserRepository(db)
		for _, u := range users {
			r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": strings.TrimSpace(u.Email), "password": djPassword + "?"})
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s with a wrong password: %d", u.Email, r.Status)
			}
			if u.password == "" || u.ID >= 9 {
				continue
			}
			r = app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.Email, "password": u.password})
			if r.Status != http.StatusOK {
				t.Errorf("%s (%s): login %d %s", u.Email, strings.SplitN(u.Password, "$", 2)[0], r.Status, r.Body)
				continue
			}
			stored, err := repo.ByEmailKey(context.Background(), accounts.EmailKey(u.Email))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored.PasswordHash, "pbkdf2_sha256$1000$") {
				t.Errorf("%s: hash after login %q, want the configured pbkdf2_sha256", u.Email, stored.PasswordHash)
			}
		}
		for _, email := range []string{"ivan@example.com", "jo@example.com", "hana@example.com"} {
			r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": djPassword})
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s logged in: %d", email, r.Status)
			}
		}
	})
}

func TestImportDjangoDryRunWritesNothing(t *testing.T) {
	srcDSN, srcDB := mysqltest.DjangoDatabase(t)
	users := djangoFixture(t)
	rows := make([]cutover.SourceUser, len(users))
	for i, u := range users {
		rows[i] = u.SourceUser
	}
	mysqltest.InsertDjangoUsers(t, srcDB, rows)
	mysqltest.InsertDjangoSessions(t, srcDB, djangoSessions(users, time.Now().UTC()))
	environ, db := importEnv(t)
	keyFile := writeFile(t, "secret", djangoSecret)

	rep, _ := runImport(t, environ, "--source-dsn", srcDSN, "--secret-key-file", keyFile, "--dry-run")
	if !rep.DryRun || rep.RunID != 0 || rep.Users.Imported != 8 || rep.Sessions.Imported != 2 {
		t.Errorf("dry run report: users %+v sessions %+v", rep.Users, rep.Sessions)
	}
	for _, table := range []string{"users", "sessions", "django_imports"} {
		var n int
		if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s holds %d rows after a dry run (%v)", table, n, err)
		}
	}
}
