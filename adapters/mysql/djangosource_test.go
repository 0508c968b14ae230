package mysql_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports/porttest"
)

// djangoSource fills a Django-shaped database and opens it as a source.
func djangoSource(t *testing.T, cfg adapter.DjangoSourceConfig) (*adapter.DjangoSource, *sql.DB, string) {
	t.Helper()
	dsn, db := mysqltest.DjangoDatabase(t)
	mysqltest.InsertDjangoUsers(t, db, porttest.DjangoSourceUsers())
	mysqltest.InsertDjangoSessions(t, db, porttest.DjangoSourceSessions())
	cfg.Defaults = adapter.AuthUserColumns()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := adapter.OpenDjangoSource(ctx, dsn, mysqltest.Settings(dsn), cfg, nil)
	if err != nil {
		t.Fatalf("OpenDjangoSource: %v", err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src, db, dsn
}

func TestDjangoSourceContract(t *testing.T) {
	t.Parallel()
	src, _, _ := djangoSource(t, adapter.DjangoSourceConfig{})
	porttest.DjangoSource(t, src)
	if d := src.Describe(); !strings.Contains(d, "users=auth_user sessions=django_session") || strings.Contains(d, "onit_ci:") {
		t.Errorf("Describe = %q: want the tables and no credentials", d)
	}
}

func TestDjangoSourceIsReadOnly(t *testing.T) {
	t.Parallel()
	src, _, _ := djangoSource(t, adapter.DjangoSourceConfig{})
	if mysqltest.Embedded(src.SourceDB()) {
		t.Skip("embedded engine: accepts SET SESSION TRANSACTION READ ONLY without enforcing it; run with ONIT_TEST_MYSQL_DSN")
	}
	ctx := context.Background()
	_, err := src.SourceDB().ExecContext(ctx, "DELETE FROM auth_user")
	if !domain.IsKind(adapter.MapError(err), domain.KindUnavailable) {
		t.Fatalf("DELETE through the source pool = %v, want refused as read-only", err)
	}
	if n, _ := src.CountUsers(ctx); n != int64(len(porttest.DjangoSourceUsers())) {
		t.Fatalf("%d users left after the refused DELETE", n)
	}
}

func TestDjangoSourceCustomUserModel(t *testing.T) {
	t.Parallel()
	dsn, db := mysqltest.DjangoDatabase(t)
	ctx := context.Background()
	// A custom AUTH_USER_MODEL on AbstractBaseUser: one name column, a
	// language, and none of is_active, is_staff, is_superuser, date_joined.
	if _, err := db.ExecContext(ctx, "CREATE TABLE accounts_member (pk bigint AUTO_INCREMENT PRIMARY KEY, "+
		"mail varchar(254) NOT NULL, full_name varchar(200) NOT NULL, pw varchar(128) NOT NULL, "+
		"last_login datetime(6) NULL, lang varchar(10) NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO accounts_member (pk, mail, full_name, pw, lang) VALUES "+
		"(7, 'eve@x.com', 'Eve Example', 'bcrypt$$2b$12$x', 'pt-br'), (9, 'zed@x.com', '', '!', NULL)"); err != nil {
		t.Fatal(err)
	}
	// Only what differs from auth_user is mapped; defaults the table
	// lacks (is_staff, date_joined, …) are dropped.
	cfg := adapter.DjangoSourceConfig{UsersTable: "accounts_member", Defaults: adapter.AuthUserColumns(),
		Columns: adapter.DjangoUserColumns{ID: "pk", Email: "mail", Password: "pw", Name: "full_name", Language: "lang"}}
	src, err := adapter.OpenDjangoSource(ctx, dsn, mysqltest.Settings(dsn), cfg, nil)
	if err != nil {
		t.Fatalf("OpenDjangoSource: %v", err)
	}
	defer src.Close()
	users, err := src.Users(ctx, 0, 10)
	if err != nil || len(users) != 2 {
		t.Fatalf("Users = %+v, %v", users, err)
	}
	want := cutover.SourceUser{ID: 7, Email: "eve@x.com", Name: "Eve Example", Password: "bcrypt$$2b$12$x", IsActive: true, Language: "pt-br"}
	got := users[0]
	if got.ID != want.ID || got.Email != want.Email || got.Name != want.Name || got.Password != want.Password ||
		!got.IsActive || got.IsStaff || got.IsSuperuser || !got.DateJoined.IsZero() || got.LastLogin != nil || got.Language != "pt-br" {
		t.Errorf("custom user = %+v, want %+v (active by default, no join date)", got, want)
	}
	if users[1].Language != "" || users[1].Name != "" {
		t.Errorf("NULL language or empty name read as %+v", users[1])
	}
}

func TestOpenDjangoSourceRefusesWrongMaps(t *testing.T) {
	t.Parallel()
	dsn, db := mysqltest.DjangoDatabase(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE uuid_users (id char(36) PRIMARY KEY, email varchar(254), password varchar(128), username varchar(150))"); err != nil {
		t.Fatal(err)
	}
	auth := adapter.AuthUserColumns()
	noEmail := adapter.DjangoUserColumns{Email: adapter.NoColumn}
	typo := adapter.DjangoUserColumns{DateJoined: "joined_on"}
	injection := adapter.DjangoUserColumns{Email: "email`; DROP TABLE auth_user; --"}
	nameless := adapter.DjangoUserColumns{FirstName: adapter.NoColumn, LastName: adapter.NoColumn, Username: adapter.NoColumn}
	tests := []struct {
		name string
		cfg  adapter.DjangoSourceConfig
		want string
	}{
		{"missing users table", adapter.DjangoSourceConfig{UsersTable: "members", Defaults: auth}, "has no table members"},
		{"missing sessions table", adapter.DjangoSourceConfig{SessionsTable: "sessions", Defaults: auth}, "has no table sessions"},
		{"sessions table of another shape", adapter.DjangoSourceConfig{SessionsTable: "auth_user", Defaults: auth}, "no column session_key"},
		{"column that does not exist", adapter.DjangoSourceConfig{Columns: typo, Defaults: auth}, "has no column joined_on"},
		{"email mapped to nothing", adapter.DjangoSourceConfig{Columns: noEmail, Defaults: auth}, "needs id, email and password"},
		{"no name of any kind", adapter.DjangoSourceConfig{Columns: nameless, Defaults: auth}, "needs a name"},
		{"not a plain name", adapter.DjangoSourceConfig{Columns: injection, Defaults: auth}, "not a plain column name"},
		{"not a plain table name", adapter.DjangoSourceConfig{UsersTable: "auth_user; --", Defaults: auth}, "not a plain table name"},
		{"non-integer primary key", adapter.DjangoSourceConfig{UsersTable: "uuid_users", Defaults: auth}, "must be an integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := adapter.OpenDjangoSource(ctx, dsn, mysqltest.Settings(dsn), tc.cfg, nil)
			if err == nil {
				_ = src.Close()
				t.Fatal("OpenDjangoSource succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	if _, err := adapter.OpenDjangoSource(ctx, "not a dsn", mysqltest.Settings(dsn), adapter.DjangoSourceConfig{Defaults: auth}, nil); err == nil ||
		!strings.Contains(err.Error(), "not a valid") {
		t.Errorf("bad DSN: %v", err)
	}
	// The source connects with Onit's own TLS settings: a CA bundle that
	// is not there stops it, and the error says so.
	tlsCfg := mysqltest.Settings(dsn)
	tlsCfg.TLS, tlsCfg.TLSCAFile = true, "/no/such/rds-ca.pem"
	if _, err := adapter.OpenDjangoSource(ctx, dsn, tlsCfg, adapter.DjangoSourceConfig{Defaults: auth}, nil); err == nil ||
		!strings.Contains(err.Error(), "TLS CA bundle") {
		t.Errorf("source with a missing CA bundle: %v", err)
	}
}
