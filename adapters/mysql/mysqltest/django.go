package mysqltest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/onitapp/onit/domain/cutover"
)

// djangoSchema is auth_user and django_session as Django 5.1's migrations
// leave them on MySQL (sqlmigrate of auth and sessions, squashed), in
// utf8mb3: Django 5.1 connects with utf8 unless told otherwise, so that is
// what a Django database created with defaults holds.
var djangoSchema = []string{
	"CREATE TABLE `auth_user` (" +
		"`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, " +
		"`password` varchar(128) NOT NULL, " +
		"`last_login` datetime(6) NULL, " +
		"`is_superuser` bool NOT NULL, " +
		"`username` varchar(150) NOT NULL UNIQUE, " +
		"`first_name` varchar(150) NOT NULL, " +
		"`last_name` varchar(150) NOT NULL, " +
		"`email` varchar(254) NOT NULL, " +
		"`is_staff` bool NOT NULL, " +
		"`is_active` bool NOT NULL, " +
		"`date_joined` datetime(6) NOT NULL" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb3",
	"CREATE TABLE `django_session` (" +
		"`session_key` varchar(40) NOT NULL PRIMARY KEY, " +
		"`session_data` longtext NOT NULL, " +
		"`expire_date` datetime(6) NOT NULL" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb3",
	"CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)",
}

// DjangoDatabase creates a database shaped like the Django backend's, on
// the server New would use, and returns its DSN and a pool to fill it
// with. Both are dropped when the test ends.
func DjangoDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	dsn := DSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal("mysqltest: invalid DSN")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, stmt := range djangoSchema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("mysqltest: Django schema: %v", err)
		}
	}
	return dsn, db
}

// insertBatch bounds the rows of one INSERT: well under
// max_allowed_packet for rows of this size.
const insertBatch = 1000

// InsertDjangoUsers adds users to auth_user, a thousand rows per INSERT.
// A user without a Username gets "user<ID>" (the column is unique).
func InsertDjangoUsers(t testing.TB, db *sql.DB, users []cutover.SourceUser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for start := 0; start < len(users); start += insertBatch {
		part := users[start:min(start+insertBatch, len(users))]
		var q strings.Builder
		q.WriteString("INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ")
		args := make([]any, 0, len(part)*11)
		for i, u := range part {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
			name := u.Username
			if name == "" {
				name = fmt.Sprintf("user%d", u.ID)
			}
			var last any
			if u.LastLogin != nil {
				last = u.LastLogin.UTC()
			}
			args = append(args, u.ID, u.Password, last, u.IsSuperuser, name, u.FirstName, u.LastName, u.Email,
				u.IsStaff, u.IsActive, u.DateJoined.UTC())
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			t.Fatalf("mysqltest: insert Django users: %v", err)
		}
	}
}

// InsertDjangoSessions adds sessions to django_session.
func InsertDjangoSessions(t testing.TB, db *sql.DB, sessions []cutover.SourceSession) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for start := 0; start < len(sessions); start += insertBatch {
		part := sessions[start:min(start+insertBatch, len(sessions))]
		q := "INSERT INTO django_session (session_key, session_data, expire_date) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?,?,?),", len(part)), ",")
		args := make([]any, 0, len(part)*3)
		for _, s := range part {
			args = append(args, s.Key, s.Data, s.ExpireDate.UTC())
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("mysqltest: insert Django sessions: %v", err)
		}
	}
}
