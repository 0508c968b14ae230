package bootstrap

import (
	"context"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/cli"
)

// `onit housekeeping` deletes expired sessions and idempotency records
// (older than ONIT_IDEMPOTENCY_TTL) from the database alone, keeps the
// rest, and says how many it deleted.
func TestHousekeepingCommand(t *testing.T) {
	environ, db := opsEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	res, err := db.ExecContext(ctx, "INSERT INTO users (email, email_key, password, date_joined) VALUES ('hk@example.com', 'hk@example.com', '!', ?)", now)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := res.LastInsertId()
	for i, exp := range []time.Time{now.Add(-time.Hour), now.Add(-time.Minute), now.Add(time.Hour)} {
		if _, err := db.ExecContext(ctx, "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			string(rune('a'+i))+"hk", uid, now.Add(-2*time.Hour), exp); err != nil {
			t.Fatal(err)
		}
	}
	for i, created := range []time.Time{now.Add(-3 * time.Hour), now} {
		if _, err := db.ExecContext(ctx, "INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, response, created_at) VALUES (?, ?, ?, '{}', ?)",
			uid, string(rune('k'+i)), "f", created); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(t, with(environ, "ONIT_IDEMPOTENCY_TTL", "2h"), "housekeeping")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if want := "deleted 2 expired sessions, 1 expired idempotency records and 0 expired password resets"; len(out) < len(want) || out[:len(want)] != want {
		t.Errorf("stdout = %q, want it to start with %q", out, want)
	}
	for table, want := range map[string]int{"sessions": 1, "idempotency_keys": 1} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s rows left = %d, want %d", table, n, want)
		}
	}
}
