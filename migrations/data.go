package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// dataMigration is a migration written in Go: bulk data changes that need
// batching or logic SQL files cannot express. Its version shares the number
// line with the SQL files in sql/, so it must not collide with any of them
// (NewRunner fails if it does).
type dataMigration struct {
	version int64
	name    string
	// up runs without a surrounding transaction: a bulk change commits in
	// batches so it never holds locks on a whole table. It must therefore be
	// idempotent, because a crash half way leaves the version unrecorded and
	// the next run starts again. It returns how many rows it changed, which
	// `onit migrate up` prints.
	up func(ctx context.Context, db *sql.DB) (rows int64, err error)
	// down is nil when the change cannot be undone; goose then only removes
	// the version.
	down func(ctx context.Context, db *sql.DB) error
}

// goose adapts m to goose, handing the rows it changed to rows.
func (m dataMigration) goose(rows func(version, n int64)) *goose.Migration {
	up := &goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
		n, err := m.up(ctx, db)
		rows(m.version, n)
		return err
	}}
	down := &goose.GoFunc{RunDB: m.down, Mode: goose.TransactionDisabled}
	return goose.NewGoMigration(m.version, up, down)
}

// dataMigrations lists every Go migration. Create("…", name, "go") writes a
// new file; add its function here.
func dataMigrations() []dataMigration {
	return []dataMigration{
		normaliseEmailKeys(),
	}
}

// emailKeyBatch is how many primary-key values one UPDATE covers: small
// enough that each batch commits in milliseconds on a db.t4g.micro and holds
// its row locks only that long.
const emailKeyBatch = 1000

// normaliseEmailKeys recomputes users.email_key as LOWER(TRIM(email)), the SQL
// twin of accounts.EmailKey. A fresh database has nothing to fix; it matters
// when users were loaded from Django's auth_user (whose email is unique only
// as typed) or written by a release that stored the key differently. Rows are
// updated in primary-key ranges so no statement locks the whole table, and
// only rows whose key differs are touched, so running it again is a no-op.
func normaliseEmailKeys() dataMigration {
	return dataMigration{
		version: 10,
		name:    "00010_normalise_email_keys.go",
		up: func(ctx context.Context, db *sql.DB) (int64, error) {
			// Two accounts whose emails differ only in case would collide on
			// users_email_key_uq half way through; refuse up front and name
			// them by id (emails are personal data and stay out of logs).
			dups, err := duplicateEmailKeys(ctx, db)
			if err != nil {
				return 0, err
			}
			if len(dups) > 0 {
				return 0, fmt.Errorf("normalise email keys: users with the same email in different case must be merged first: ids %s", strings.Join(dups, "; "))
			}
			var lo, hi sql.NullInt64
			if err := db.QueryRowContext(ctx, "SELECT MIN(id), MAX(id) FROM users").Scan(&lo, &hi); err != nil {
				return 0, fmt.Errorf("normalise email keys: %w", err)
			}
			if !lo.Valid {
				return 0, nil
			}
			// Compared as binary strings: email's case-insensitive collation
			// would fold 'A' into 'a', and every utf8mb4 collation (the
			// _bin ones too, on both servers) ignores trailing spaces.
			// SQL's TRIM strips spaces only, Go's TrimSpace all whitespace;
			// email validation admits no other whitespace, so they agree.
			const q = `UPDATE users SET email_key = LOWER(TRIM(email))
				WHERE id >= ? AND id < ?
				AND CAST(email_key AS BINARY) <> CAST(LOWER(TRIM(email)) AS BINARY)`
			var changed int64
			for start := lo.Int64; start <= hi.Int64; start += emailKeyBatch {
				res, err := db.ExecContext(ctx, q, start, start+emailKeyBatch)
				if err != nil {
					return changed, fmt.Errorf("normalise email keys: ids from %d: %w", start, err)
				}
				if n, err := res.RowsAffected(); err == nil {
					changed += n
				}
			}
			return changed, nil
		},
	}
}

// duplicateEmailKeys returns, for each normalised email held by more than one
// user, the comma-separated ids of those users (at most 20 groups).
func duplicateEmailKeys(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT GROUP_CONCAT(id ORDER BY id SEPARATOR ',')
		FROM users GROUP BY (LOWER(TRIM(email)) COLLATE utf8mb4_bin) HAVING COUNT(*) > 1 LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("normalise email keys: find duplicates: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ids string
		if err := rows.Scan(&ids); err != nil {
			return nil, err
		}
		out = append(out, ids)
	}
	return out, rows.Err()
}
