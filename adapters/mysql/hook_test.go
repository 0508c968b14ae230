package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

type observed struct {
	kind string
	d    time.Duration
	err  error
}

type recorder struct{ got []observed }

func (r *recorder) ObserveQuery(kind string, d time.Duration, err error) {
	r.got = append(r.got, observed{kind, d, err})
}

func TestQueryKind(t *testing.T) {
	tests := []struct {
		op, query, want string
	}{
		{"SELECT", "SELECT 1", QueryRead},
		{"", "  select * from users", QueryRead},
		{"", "\n\tSHOW TABLES", QueryRead},
		{"", "EXPLAIN SELECT 1", QueryRead},
		{"", "(SELECT 1) UNION (SELECT 2)", QueryRead},
		{"SELECT\n", "SELECT\n1", QueryRead},
		{"", "WITH x AS (SELECT 1) SELECT * FROM x", QueryRead},
		{"INSERT", "INSERT INTO users", QueryWrite},
		{"UPDATE", "UPDATE users SET", QueryWrite},
		{"DELETE", "DELETE FROM users", QueryWrite},
		{"", "BEGIN", QueryWrite},
		{"", "COMMIT", QueryWrite},
		{"", "CREATE TABLE t (id INT)", QueryWrite},
		{"", "", QueryWrite},
		// bun names every raw query "SELECT"; the text decides.
		{"SELECT", "UPDATE tasks SET version = version + 1", QueryWrite},
		{"SELECT", "INSERT INTO idempotency_keys", QueryWrite},
	}
	for _, tt := range tests {
		if got := queryKind(tt.op, tt.query); got != tt.want {
			t.Errorf("queryKind(%q, %q) = %s, want %s", tt.op, tt.query, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM `users` WHERE `email_key` = 'ann@example.com'", "SELECT * FROM `users` WHERE `email_key` = ?"},
		{`UPDATE users SET password = 'pbkdf2_sha256$870000$salt$hash' WHERE id = 42`, "UPDATE users SET password = ? WHERE id = ?"},
		{`SELECT 'it''s', 'a\'b', "dq"`, "SELECT ?, ?, ?"},
		{"SELECT X'DEADBEEF', 0xCAFE, 3.25, -7, 1e10", "SELECT ?, ?, ?, -?, ?"},
		{"SELECT users_v2.col1 FROM users_v2 LIMIT 10", "SELECT users_v2.col1 FROM users_v2 LIMIT ?"},
		{"SELECT `weird``name`, `1col` FROM t", "SELECT `weird``name`, `1col` FROM t"},
		{"INSERT INTO sessions (token_hash) VALUES ('unterminated", "INSERT INTO sessions (token_hash) VALUES (?"},
		{"WHERE id IN (?, ?)", "WHERE id IN (?, ?)"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("SELECT 'secret' FROM t WHERE a = 1")
	f.Add(`'\`)
	f.Add("`unterminated")
	f.Fuzz(func(t *testing.T, q string) {
		out := redact(q)
		if len(out) > len(q) {
			t.Fatalf("redact grew %q to %q", q, out)
		}
		if strings.Contains(q, "'") && strings.Count(out, "'") > strings.Count(q, "'") {
			t.Fatalf("redact added quotes: %q", out)
		}
	})
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes
	got := truncate(long, 501)
	if !utf8.ValidString(got) {
		t.Errorf("truncate split a rune: %q", got[len(got)-8:])
	}
	if len(got) > 501+len("…") {
		t.Errorf("len = %d, want at most 501 bytes plus the ellipsis", len(got))
	}
	if truncate("short", 500) != "short" {
		t.Error("short strings must stay whole")
	}
}

func TestQueryHook(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		age      time.Duration
		err      error
		wantKind string
		wantErr  bool
		wantLog  bool
	}{
		{"fast read", "SELECT * FROM users WHERE id = 1", time.Millisecond, nil, QueryRead, false, false},
		{"no rows is no error", "SELECT * FROM users WHERE id = 1", time.Millisecond, sql.ErrNoRows, QueryRead, false, false},
		{"failed write", "INSERT INTO users VALUES (1)", time.Millisecond, errors.New("boom"), QueryWrite, true, false},
		{"slow write is logged without values", "UPDATE users SET password = 'pbkdf2_sha256$secret' WHERE id = 7", 300 * time.Millisecond, nil, QueryWrite, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			rec := &recorder{}
			h := NewQueryHook(log, 200*time.Millisecond, rec)
			ev := &bun.QueryEvent{Query: tt.query, StartTime: time.Now().Add(-tt.age), Err: tt.err}
			ctx := h.BeforeQuery(context.Background(), ev)
			h.AfterQuery(ctx, ev)

			if len(rec.got) != 1 {
				t.Fatalf("observed %d queries, want 1", len(rec.got))
			}
			o := rec.got[0]
			if o.kind != tt.wantKind {
				t.Errorf("kind = %s, want %s", o.kind, tt.wantKind)
			}
			if (o.err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error: %v", o.err, tt.wantErr)
			}
			if o.d < tt.age {
				t.Errorf("duration %v shorter than the query's age %v", o.d, tt.age)
			}
			logged := buf.String()
			if (logged != "") != tt.wantLog {
				t.Fatalf("log = %q, want logged: %v", logged, tt.wantLog)
			}
			if tt.wantLog {
				if !strings.Contains(logged, "level=WARN") || !strings.Contains(logged, "slow query") {
					t.Errorf("log = %q, want a warning", logged)
				}
				if strings.Contains(logged, "secret") || strings.Contains(logged, "= 7") {
					t.Errorf("log leaks values: %q", logged)
				}
			}
		})
	}
}

func TestQueryHookNilObserver(t *testing.T) {
	h := NewQueryHook(slog.New(slog.DiscardHandler), 0, nil)
	ev := &bun.QueryEvent{Query: "SELECT 1", StartTime: time.Now()}
	h.AfterQuery(h.BeforeQuery(context.Background(), ev), ev) // must not panic
}
