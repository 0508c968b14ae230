package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/onitapp/onit/domain"
)

// Server error numbers Onit reacts to. MySQL 8 and MariaDB 10.11 share them
// (MariaDB kept MySQL's numbering for everything below 1900).
const (
	errConCount            = 1040 // too many connections
	errServerShutdown      = 1053
	errTooManyUserConns    = 1203
	errLockWaitTimeout     = 1205
	errLockDeadlock        = 1213
	errRowIsReferenced     = 1217 // old form of 1451
	errNoReferencedRow     = 1216 // old form of 1452
	errDupEntry            = 1062
	errOptionPreventsStmt  = 1290 // --read-only / --super-read-only
	errRowIsReferenced2    = 1451 // delete or update of a parent row with children
	errNoReferencedRow2    = 1452 // insert or update of a child row without its parent
	errReadOnlyTransaction = 1792 // write in START TRANSACTION READ ONLY
	errReadOnlyMode        = 1836 // MySQL 8 read_only mode (RDS blue/green switchover)
)

// MapError turns a driver or database/sql error into a domain error. It is the
// one place that decides what a database failure means to the core; repositories
// call it on every error they return. Classification is by MySQL error number
// and Go error type, never by message text. Coded errors pass through
// unchanged, so mapping twice is harmless.
//
//   - sql.ErrNoRows: ErrNotFound
//   - 1062 duplicate key, 1451 row is referenced: ErrConflict
//   - 1452 missing referenced row: Invalid (repositories that know which
//     field it was should check IsForeignKey first and name it)
//   - 1213 deadlock, 1205 lock wait timeout: Unavailable (IsRetryable; the
//     unit of work retries them before giving up)
//   - read-only server (1290, 1792, 1836), too many connections, shutdown,
//     broken connections, network errors and deadlines: Unavailable
//   - anything else: Internal
//
// Unavailable errors carry RetryAfter (unavailableRetryAfter), so the 503
// tells a client when to try again. A cancelled context is returned as is:
// the caller went away, nothing failed.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := domain.As(err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound.Wrap(err)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case errDupEntry, errRowIsReferenced2, errRowIsReferenced:
			return domain.ErrConflict.Wrap(err)
		case errNoReferencedRow2, errNoReferencedRow:
			e := domain.Invalid()
			e.Err = err
			return e
		case errLockDeadlock, errLockWaitTimeout,
			errOptionPreventsStmt, errReadOnlyTransaction, errReadOnlyMode,
			errConCount, errTooManyUserConns, errServerShutdown:
			return unavailable(err)
		default:
			return domain.Internal(err)
		}
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if isConnectionError(err) {
		return unavailable(err)
	}
	return domain.Internal(err)
}

// unavailableRetryAfter is the Retry-After of a transient database failure:
// a lost lock race, a failover or a request that ran out of time are over,
// or worth another try, within a second.
const unavailableRetryAfter = time.Second

// unavailable is the Unavailable error of a transient database failure.
func unavailable(err error) *domain.Error {
	e := domain.Unavailable(err)
	e.RetryAfter = unavailableRetryAfter
	return e
}

// mapTxError maps the error of a transaction run on ctx. When ctx ends
// while the transaction is open, database/sql rolls it back from its own
// goroutine and the COMMIT that follows fails with sql.ErrTxDone, which is
// otherwise a programming error (Internal). Here it means the request ran
// out of time inside its transaction (a login at its deadline): the
// context's error is put in front, so it maps like any other deadline, to
// Unavailable (503 with Retry-After), and the cause stays in the chain.
func mapTxError(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return MapError(err)
}

// isConnectionError reports failures to reach or keep talking to the server.
func isConnectionError(err error) bool {
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne)
}

// mysqlError returns the server error in err's chain, if any.
func mysqlError(err error) (*mysql.MySQLError, bool) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me, true
	}
	return nil, false
}

// IsRetryable reports whether err is a deadlock (1213) or lock wait timeout
// (1205): the transaction lost a race and running it again may succeed. It
// sees through domain errors made by MapError.
func IsRetryable(err error) bool {
	me, ok := mysqlError(err)
	return ok && (me.Number == errLockDeadlock || me.Number == errLockWaitTimeout)
}

// IsDuplicate reports whether err is a duplicate-key error (1062) and returns
// the name of the unique index it broke, e.g. "users_email_key_uq", so a
// repository can tell which field is taken.
//
// The kind is decided by the error number; the index name exists only in the
// message, so it is read from there: MySQL 8 says "for key 'table.index'",
// MariaDB "for key 'index'". The embedded engine names no key; key is then "".
func IsDuplicate(err error) (key string, ok bool) {
	me, found := mysqlError(err)
	if !found || me.Number != errDupEntry {
		return "", false
	}
	msg := me.Message
	const marker = "for key '"
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "", true
	}
	key = msg[i+len(marker):]
	if j := strings.LastIndexByte(key, '\''); j >= 0 {
		key = key[:j]
	}
	if j := strings.LastIndexByte(key, '.'); j >= 0 {
		key = key[j+1:]
	}
	return key, true
}

// IsForeignKey reports whether err is a foreign-key violation (1451, 1452 or
// their old forms 1216, 1217).
func IsForeignKey(err error) bool {
	_, ok := ForeignKey(err)
	return ok
}

// ForeignKey reports whether err is a foreign-key violation and returns the
// constraint's name when the message carries one (MySQL and MariaDB:
// "CONSTRAINT `sessions_user_id_fk` FOREIGN KEY …"; the embedded engine:
// "fk: `sessions_user_id_fk`"), so a repository can name the field. As with
// IsDuplicate, the number decides, the message only supplies the name.
func ForeignKey(err error) (constraint string, ok bool) {
	me, found := mysqlError(err)
	if !found {
		return "", false
	}
	switch me.Number {
	case errNoReferencedRow2, errRowIsReferenced2, errNoReferencedRow, errRowIsReferenced:
	default:
		return "", false
	}
	for _, marker := range []string{"CONSTRAINT `", "fk: `"} {
		if i := strings.Index(me.Message, marker); i >= 0 {
			rest := me.Message[i+len(marker):]
			if j := strings.IndexByte(rest, '`'); j >= 0 {
				return rest[:j], true
			}
		}
	}
	return "", true
}

// IsMissingParent reports whether err is a 1452/1216 violation: the row
// references a parent that does not exist (as opposed to 1451/1217, a parent
// that cannot be deleted because children reference it).
func IsMissingParent(err error) bool {
	me, ok := mysqlError(err)
	return ok && (me.Number == errNoReferencedRow2 || me.Number == errNoReferencedRow)
}
