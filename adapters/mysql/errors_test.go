package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/onitapp/onit/domain"
)

func myErr(n uint16, msg string) error {
	return &mysql.MySQLError{Number: n, Message: msg}
}

func TestMapError(t *testing.T) {
	coded := domain.E(domain.KindForbidden, "error.custom")
	tests := []struct {
		name string
		err  error
		kind domain.Kind
		same bool // returned unchanged
	}{
		{"no rows", sql.ErrNoRows, domain.KindNotFound, false},
		{"wrapped no rows", fmt.Errorf("scan: %w", sql.ErrNoRows), domain.KindNotFound, false},
		{"duplicate", myErr(1062, "Duplicate entry 'a' for key 'users.users_email_key_uq'"), domain.KindConflict, false},
		{"parent has children", myErr(1451, "Cannot delete or update a parent row"), domain.KindConflict, false},
		{"parent has children (old)", myErr(1217, "Cannot delete or update a parent row"), domain.KindConflict, false},
		{"missing parent", myErr(1452, "Cannot add or update a child row"), domain.KindInvalid, false},
		{"missing parent (old)", myErr(1216, "Cannot add or update a child row"), domain.KindInvalid, false},
		{"deadlock", myErr(1213, "Deadlock found"), domain.KindUnavailable, false},
		{"lock wait timeout", myErr(1205, "Lock wait timeout exceeded"), domain.KindUnavailable, false},
		{"read only option", myErr(1290, "--read-only"), domain.KindUnavailable, false},
		{"read only transaction", myErr(1792, "READ ONLY transaction"), domain.KindUnavailable, false},
		{"read only mode", myErr(1836, "read-only mode"), domain.KindUnavailable, false},
		{"too many connections", myErr(1040, "Too many connections"), domain.KindUnavailable, false},
		{"shutdown", myErr(1053, "Server shutdown in progress"), domain.KindUnavailable, false},
		{"syntax error", myErr(1064, "You have an error in your SQL syntax"), domain.KindInternal, false},
		{"data too long", myErr(1406, "Data too long"), domain.KindInternal, false},
		{"bad conn", driver.ErrBadConn, domain.KindUnavailable, false},
		{"invalid conn", mysql.ErrInvalidConn, domain.KindUnavailable, false},
		{"eof", fmt.Errorf("read: %w", io.EOF), domain.KindUnavailable, false},
		{"unexpected eof", io.ErrUnexpectedEOF, domain.KindUnavailable, false},
		{"dial refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, domain.KindUnavailable, false},
		{"deadline", context.DeadlineExceeded, domain.KindUnavailable, false},
		{"conn done", sql.ErrConnDone, domain.KindUnavailable, false},
		{"cancelled", context.Canceled, domain.KindInternal, true},
		{"tx done is a bug", sql.ErrTxDone, domain.KindInternal, false},
		{"plain", errors.New("boom"), domain.KindInternal, false},
		{"already coded", coded, domain.KindForbidden, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MapError(tt.err)
			if tt.same {
				if got != tt.err { //nolint:errorlint // identity, not equivalence, is the point here
					t.Fatalf("MapError(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			e, ok := domain.As(got)
			if !ok {
				t.Fatalf("MapError(%v) = %v (%T), want a coded error", tt.err, got, got)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v", e.Kind, tt.kind)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("the cause %v is lost in %v", tt.err, got)
			}
		})
	}
	if MapError(nil) != nil {
		t.Error("MapError(nil) != nil")
	}
	if !errors.Is(MapError(myErr(1062, "")), domain.ErrConflict) {
		t.Error("duplicate does not match domain.ErrConflict")
	}
	if !errors.Is(MapError(sql.ErrNoRows), domain.ErrNotFound) {
		t.Error("no rows does not match domain.ErrNotFound")
	}
}

func TestIsDuplicate(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		key   string
		isDup bool
	}{
		{"mysql 8", myErr(1062, "Duplicate entry 'a@b.c' for key 'users.users_email_key_uq'"), "users_email_key_uq", true},
		{"mariadb", myErr(1062, "Duplicate entry 'a@b.c' for key 'users_email_key_uq'"), "users_email_key_uq", true},
		{"value looks like a key", myErr(1062, "Duplicate entry 'x for key 'y' for key 'sessions_token_hash_uq'"), "sessions_token_hash_uq", true},
		{"embedded engine", myErr(1062, "duplicate unique key given: [a@b.c]"), "", true},
		{"wrapped by MapError", MapError(myErr(1062, "Duplicate entry '1' for key 'PRIMARY'")), "PRIMARY", true},
		{"other number", myErr(1452, "for key 'x'"), "", false},
		{"not mysql", errors.New("Duplicate entry 'a' for key 'k'"), "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := IsDuplicate(tt.err)
			if ok != tt.isDup || key != tt.key {
				t.Errorf("IsDuplicate = %q, %v; want %q, %v", key, ok, tt.key, tt.isDup)
			}
		})
	}
}

func TestForeignKey(t *testing.T) {
	const mysqlMsg = "Cannot add or update a child row: a foreign key constraint fails (`onit`.`sessions`, CONSTRAINT `sessions_user_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE)"
	tests := []struct {
		name        string
		err         error
		constraint  string
		fk, missing bool
	}{
		{"missing parent", myErr(1452, mysqlMsg), "sessions_user_id_fk", true, true},
		{"parent referenced", myErr(1451, "Cannot delete or update a parent row: a foreign key constraint fails (`onit`.`sessions`, CONSTRAINT `sessions_user_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`))"), "sessions_user_id_fk", true, false},
		{"embedded engine", myErr(1452, "cannot add or update a child row - Foreign key violation on fk: `sessions_user_id_fk`, table: `sessions`"), "sessions_user_id_fk", true, true},
		{"old form", myErr(1216, "Cannot add or update a child row"), "", true, true},
		{"through MapError", MapError(myErr(1452, mysqlMsg)), "sessions_user_id_fk", true, true},
		{"duplicate", myErr(1062, mysqlMsg), "", false, false},
		{"nil", nil, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := ForeignKey(tt.err)
			if ok != tt.fk || c != tt.constraint {
				t.Errorf("ForeignKey = %q, %v; want %q, %v", c, ok, tt.constraint, tt.fk)
			}
			if IsForeignKey(tt.err) != tt.fk {
				t.Errorf("IsForeignKey = %v", !tt.fk)
			}
			if IsMissingParent(tt.err) != tt.missing {
				t.Errorf("IsMissingParent = %v", !tt.missing)
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{myErr(1213, ""), true},
		{myErr(1205, ""), true},
		{MapError(myErr(1213, "")), true},
		{fmt.Errorf("update: %w", myErr(1205, "")), true},
		{myErr(1062, ""), false},
		{driver.ErrBadConn, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
