package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// userRow is a row of the users table (migrations/sql/00001_accounts.sql).
type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID          int64      `bun:"id,pk,autoincrement"`
	Email       string     `bun:"email"`
	EmailKey    string     `bun:"email_key"`
	Name        string     `bun:"name"`
	Password    string     `bun:"password"`
	Language    string     `bun:"language"`
	IsActive    bool       `bun:"is_active"`
	IsStaff     bool       `bun:"is_staff"`
	IsSuperuser bool       `bun:"is_superuser"`
	DateJoined  time.Time  `bun:"date_joined"`
	LastLogin   *time.Time `bun:"last_login"`
}

func userFromDomain(u accounts.User) userRow {
	r := userRow{
		ID: u.ID, Email: u.Email, EmailKey: u.EmailKey, Name: u.Name, Password: u.PasswordHash,
		Language: u.Language, IsActive: u.IsActive, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser,
		DateJoined: dbTime(u.DateJoined),
	}
	if u.LastLogin != nil {
		t := dbTime(*u.LastLogin)
		r.LastLogin = &t
	}
	return r
}

func (r userRow) toDomain() accounts.User {
	u := accounts.User{
		ID: r.ID, Email: r.Email, EmailKey: r.EmailKey, Name: r.Name, PasswordHash: r.Password,
		Language: r.Language, IsActive: r.IsActive, IsStaff: r.IsStaff, IsSuperuser: r.IsSuperuser,
		DateJoined: r.DateJoined.UTC(),
	}
	if r.LastLogin != nil {
		t := r.LastLogin.UTC()
		u.LastLogin = &t
	}
	return u
}

// dbTime is what a DATETIME(6) column keeps of t, so the value a repository
// hands back after a write equals what a later read returns.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// UserRepository stores users in the users table.
type UserRepository struct{ db bun.IDB }

var _ ports.UserRepository = (*UserRepository)(nil)

// NewUserRepository returns a repository on db: the pool, or a transaction
// of the unit of work.
func NewUserRepository(db bun.IDB) *UserRepository { return &UserRepository{db: db} }

// Create inserts u and sets its ID. accounts.ErrEmailTaken (Conflict) when
// users_email_key_uq refuses the email key.
func (r *UserRepository) Create(ctx context.Context, u *accounts.User) error {
	row := userFromDomain(*u)
	row.ID = 0
	if _, err := r.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return mapUserError(err)
	}
	u.ID = row.ID
	return nil
}

// ByID returns the user; NotFound when absent.
func (r *UserRepository) ByID(ctx context.Context, id int64) (accounts.User, error) {
	var row userRow
	if err := r.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return accounts.User{}, MapError(err)
	}
	return row.toDomain(), nil
}

// ByEmailKey returns the user with that email key; NotFound when absent.
func (r *UserRepository) ByEmailKey(ctx context.Context, key string) (accounts.User, error) {
	var row userRow
	if err := r.db.NewSelect().Model(&row).Where("email_key = ?", key).Scan(ctx); err != nil {
		return accounts.User{}, MapError(err)
	}
	return row.toDomain(), nil
}

// Update reads the row with SELECT … FOR UPDATE, applies fn and writes
// every column back, in one transaction (its own, or the unit of work's).
// NotFound when absent; fn's error is returned as is and nothing is
// written; ErrEmailTaken when fn moved the email onto a taken key.
// Round-trips: BEGIN, SELECT, UPDATE, COMMIT (SELECT and UPDATE inside a
// unit of work).
func (r *UserRepository) Update(ctx context.Context, id int64, fn func(*accounts.User) error) (accounts.User, error) {
	var out accounts.User
	err := inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		var row userRow
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return MapError(err)
		}
		u := row.toDomain()
		if err := fn(&u); err != nil {
			return err
		}
		u.ID = id
		next := userFromDomain(u)
		if _, err := tx.NewUpdate().Model(&next).WherePK().Exec(ctx); err != nil {
			return mapUserError(err)
		}
		out = next.toDomain()
		return nil
	})
	if err != nil {
		return accounts.User{}, MapError(err)
	}
	return out, nil
}

// mapUserError names the duplicate email; the embedded engine names no
// index, and email_key is the table's only unique one besides the key.
func mapUserError(err error) error {
	if idx, ok := IsDuplicate(err); ok && (idx == "users_email_key_uq" || idx == "") {
		return accounts.ErrEmailTaken.Wrap(err)
	}
	return MapError(err)
}

// inTx runs fn in a transaction: db's own when db already is one (a unit of
// work; fn writes only after its last check, so no savepoint is needed to
// undo a failure), else a new one.
func inTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.IDB) error) error {
	if tx, ok := db.(bun.Tx); ok {
		return fn(ctx, tx)
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) })
	if err != nil {
		return mapTxError(ctx, err)
	}
	return nil
}
