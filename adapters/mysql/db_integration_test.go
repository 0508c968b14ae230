package mysql_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain"
)

// infraIsolation reads the session's isolation level under either server's
// name for it: transaction_isolation (MySQL 8, the embedded engine) or
// tx_isolation (MariaDB 10.11).
func infraIsolation(ctx context.Context, t *testing.T, db bun.IDB) string {
	t.Helper()
	var level string
	err := db.QueryRowContext(ctx, "SELECT @@transaction_isolation").Scan(&level)
	if err != nil {
		err = db.QueryRowContext(ctx, "SELECT @@tx_isolation").Scan(&level)
	}
	if err != nil {
		t.Fatal(err)
	}
	return level
}

func TestOpenSessionSettings(t *testing.T) {
	db := mysqltest.New(t)
	ctx := context.Background()
	// Every pooled connection, not just the first, carries the settings.
	conns := make([]bun.Conn, 3)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		var tz, mode, charset, collation string
		if err := c.QueryRowContext(ctx, "SELECT @@time_zone, @@sql_mode, @@character_set_connection, @@collation_connection").
			Scan(&tz, &mode, &charset, &collation); err != nil {
			t.Fatal(err)
		}
		if tz != "+00:00" {
			t.Errorf("conn %d: time_zone = %s", i, tz)
		}
		for _, want := range []string{"STRICT_TRANS_TABLES", "NO_ZERO_DATE", "ERROR_FOR_DIVISION_BY_ZERO"} {
			if !strings.Contains(mode, want) {
				t.Errorf("conn %d: sql_mode %s lacks %s", i, mode, want)
			}
		}
		// The embedded engine ignores SET NAMES … COLLATE and keeps its
		// default utf8mb4_0900_ai_ci (see adapters/devengines/doc.go); the
		// tables name their collation, so only literals are affected.
		if charset != "utf8mb4" || (collation != "utf8mb4_unicode_ci" && !mysqltest.Embedded(db)) {
			t.Errorf("conn %d: charset %s collation %s", i, charset, collation)
		}
		if lvl := infraIsolation(ctx, t, c); lvl != "READ-COMMITTED" {
			t.Errorf("conn %d: isolation = %s", i, lvl)
		}
	}
	if err := adapter.NewHealth(db).Ping(ctx); err != nil {
		t.Errorf("health ping: %v", err)
	}
	if adapter.NewHealth(db).Name() != "mysql" {
		t.Error("health name")
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	// Port 1 on loopback: nothing listens, the dial is refused at once.
	_, err := adapter.Open(ctx, adapter.Config{
		Host: "127.0.0.1", Port: 1, User: "onit", DBPassword: "topsecret", Database: "onit",
		MaxOpenConns: 2, DialTimeout: time.Second, QueryTimeout: time.Second,
	}, slog.New(slog.DiscardHandler), nil)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Errorf("kind = %v, want unavailable: %v", domain.KindOf(err), err)
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

// infraUser is a throwaway row model for these infrastructure tests; the
// accounts repository owns the real one.
type infraUser struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64      `bun:"id,pk,autoincrement"`
	Email         string     `bun:"email"`
	EmailKey      string     `bun:"email_key"`
	Name          string     `bun:"name"`
	Password      string     `bun:"password"`
	Language      string     `bun:"language"`
	IsActive      bool       `bun:"is_active"`
	DateJoined    time.Time  `bun:"date_joined"`
	LastLogin     *time.Time `bun:"last_login"`
}

type infraSession struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            int64     `bun:"id,pk,autoincrement"`
	TokenHash     string    `bun:"token_hash"`
	UserID        int64     `bun:"user_id"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

func infraNewUser(email string, now time.Time) *infraUser {
	return &infraUser{Email: email, EmailKey: strings.ToLower(email), Password: "!", Language: "en", IsActive: true, DateJoined: now}
}

// TestCRUDAndErrorMapping runs bun's insert, select, update and delete on the
// migrated schema and checks each database failure maps to its kind.
func TestCRUDAndErrorMapping(t *testing.T) {
	db := mysqltest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)

	u := infraNewUser("Ann@Example.com", now)
	if _, err := db.NewInsert().Model(u).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 {
		t.Fatal("insert did not set the auto-increment id")
	}

	var got infraUser
	if err := db.NewSelect().Model(&got).Where("id = ?", u.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if !got.DateJoined.Equal(now) || got.DateJoined.Location() != time.UTC {
		t.Errorf("date_joined = %v, want %v in UTC with microseconds", got.DateJoined, now)
	}
	if got.EmailKey != "ann@example.com" || !got.IsActive || got.LastLogin != nil {
		t.Errorf("row = %+v", got)
	}

	login := now.Add(time.Hour)
	if _, err := db.NewUpdate().Model((*infraUser)(nil)).Set("last_login = ?", login).Where("id = ?", u.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.NewSelect().Model(&got).Where("id = ?", u.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if got.LastLogin == nil || !got.LastLogin.Equal(login) {
		t.Errorf("last_login = %v, want %v", got.LastLogin, login)
	}

	t.Run("duplicate email key", func(t *testing.T) {
		_, err := db.NewInsert().Model(infraNewUser("ann@example.com", now)).Exec(ctx)
		if !errors.Is(adapter.MapError(err), domain.ErrConflict) {
			t.Fatalf("err = %v, want conflict", adapter.MapError(err))
		}
		key, ok := adapter.IsDuplicate(err)
		if !ok {
			t.Fatal("IsDuplicate = false")
		}
		if key != "users_email_key_uq" && (key != "" || !mysqltest.Embedded(db)) {
			t.Errorf("key = %q, want users_email_key_uq", key)
		}
	})

	t.Run("missing parent", func(t *testing.T) {
		s := &infraSession{TokenHash: strings.Repeat("a", 64), UserID: u.ID + 1000, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		_, err := db.NewInsert().Model(s).Exec(ctx)
		if !domain.IsKind(adapter.MapError(err), domain.KindInvalid) {
			t.Fatalf("err = %v, want invalid", adapter.MapError(err))
		}
		c, ok := adapter.ForeignKey(err)
		if !ok || c != "sessions_user_id_fk" || !adapter.IsMissingParent(err) {
			t.Errorf("ForeignKey = %q, %v", c, ok)
		}
	})

	t.Run("not found", func(t *testing.T) {
		err := db.NewSelect().Model(&infraUser{}).Where("id = ?", u.ID+1000).Scan(ctx)
		if !errors.Is(adapter.MapError(err), domain.ErrNotFound) {
			t.Fatalf("err = %v, want not found", adapter.MapError(err))
		}
	})

	t.Run("strict mode refuses truncation", func(t *testing.T) {
		long := infraNewUser(strings.Repeat("x", 250)+"@example.com", now)
		_, err := db.NewInsert().Model(long).Exec(ctx)
		if err == nil {
			t.Fatal("a 262-character email was stored: sql_mode is not strict")
		}
	})

	t.Run("delete cascades to sessions", func(t *testing.T) {
		s := &infraSession{TokenHash: strings.Repeat("b", 64), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if _, err := db.NewInsert().Model(s).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// TableExpr, not Model: bun then writes DELETE FROM users AS
		// infra_user, an alias the embedded engine cannot parse.
		if _, err := db.NewDelete().TableExpr("users").Where("id = ?", u.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := db.NewSelect().Model((*infraSession)(nil)).Where("user_id = ?", u.ID).Count(ctx)
		if err != nil || n != 0 {
			t.Errorf("sessions left = %d, %v", n, err)
		}
	})
}
