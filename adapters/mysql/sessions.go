package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// Deletes name the table instead of the model: bun would alias it
// ("DELETE FROM sessions AS session_row"), which MariaDB before 11.6 and
// the embedded engine reject.

// sessionRow is a row of the sessions table. The token itself is never
// stored, only its hash.
type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64     `bun:"id,pk,autoincrement"`
	TokenHash string    `bun:"token_hash"`
	UserID    int64     `bun:"user_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`

	UserAgent  string     `bun:"user_agent"`
	ClientAddr string     `bun:"client_addr"`
	LastUsedAt *time.Time `bun:"last_used_at"`
}

func sessionFromDomain(s accounts.Session) sessionRow {
	r := sessionRow{TokenHash: s.TokenHash, UserID: s.UserID,
		CreatedAt: dbTime(s.CreatedAt), ExpiresAt: dbTime(s.ExpiresAt),
		UserAgent: s.UserAgent, ClientAddr: s.ClientAddr}
	if s.LastUsedAt != nil {
		t := dbTime(*s.LastUsedAt)
		r.LastUsedAt = &t
	}
	return r
}

func (r sessionRow) toDomain() accounts.Session {
	s := accounts.Session{TokenHash: r.TokenHash, UserID: r.UserID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		ID: r.ID, UserAgent: r.UserAgent, ClientAddr: r.ClientAddr}
	if r.LastUsedAt != nil {
		t := r.LastUsedAt.UTC()
		s.LastUsedAt = &t
	}
	return s
}

// SessionRepository stores sessions in the sessions table, the truth the
// instances' memory copies (adapters/localcache.Sessions).
type SessionRepository struct{ db bun.IDB }

var _ ports.SessionRepository = (*SessionRepository)(nil)

// NewSessionRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewSessionRepository(db bun.IDB) *SessionRepository { return &SessionRepository{db: db} }

// Create inserts s. Conflict when the hash exists.
func (r *SessionRepository) Create(ctx context.Context, s accounts.Session) error {
	row := sessionFromDomain(s)
	_, err := r.db.NewInsert().Model(&row).Exec(ctx)
	return MapError(err)
}

// ByHash returns the session, expired or not; NotFound when absent.
func (r *SessionRepository) ByHash(ctx context.Context, hash string) (accounts.Session, error) {
	var row sessionRow
	if err := r.db.NewSelect().Model(&row).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return accounts.Session{}, MapError(err)
	}
	return row.toDomain(), nil
}

// Delete removes one session; absent is not an error.
func (r *SessionRepository) Delete(ctx context.Context, hash string) error {
	_, err := r.db.NewDelete().TableExpr("sessions").Where("token_hash = ?", hash).Exec(ctx)
	return MapError(err)
}

// DeleteForUser removes the user's sessions except keepHash and returns the
// removed hashes. It deletes exactly the rows it read (locked FOR UPDATE),
// so a session created meanwhile is neither deleted unreported, which would
// leave its cache copy alive, nor reported without being deleted.
// Round-trips: SELECT and DELETE inside a transaction (its own adds BEGIN
// and COMMIT); just the SELECT when there is nothing to delete.
func (r *SessionRepository) DeleteForUser(ctx context.Context, userID int64, keepHash string) ([]string, error) {
	var hashes []string
	err := inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		hashes = nil
		if err := tx.NewSelect().Model((*sessionRow)(nil)).Column("token_hash").
			Where("user_id = ?", userID).Where("token_hash <> ?", keepHash).
			For("UPDATE").Scan(ctx, &hashes); err != nil {
			return MapError(err)
		}
		if len(hashes) == 0 {
			return nil
		}
		_, err := tx.NewDelete().TableExpr("sessions").Where("token_hash IN (?)", bun.List(hashes)).Exec(ctx)
		return MapError(err)
	})
	if err != nil {
		return nil, MapError(err)
	}
	return hashes, nil
}

// DeleteExpired removes sessions expired at now (expires_at <= now, the
// instant accounts.Session.Expired turns true) in batches over
// sessions_expires_at_idx, and returns how many.
func (r *SessionRepository) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteInBatches(ctx, r.db, "sessions", "expires_at <= ?", dbTime(now))
}

// maxSessionsListed bounds ListForUser: nobody reads more, and a user
// with a runaway script logging in must not make the page huge.
const maxSessionsListed = 500

// ListForUser returns the user's live sessions, newest first, over
// sessions_user_id_idx.
func (r *SessionRepository) ListForUser(ctx context.Context, userID int64, now time.Time) ([]accounts.Session, error) {
	var rows []sessionRow
	if err := r.db.NewSelect().Model(&rows).Where("user_id = ?", userID).Where("expires_at > ?", dbTime(now)).
		OrderExpr("created_at DESC, id DESC").Limit(maxSessionsListed).Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	out := make([]accounts.Session, len(rows))
	for i, row := range rows {
		out[i] = row.toDomain()
	}
	return out, nil
}

// Touch sets last_used_at to at where it is NULL or earlier: one UPDATE
// for the whole batch (callers group by minute).
func (r *SessionRepository) Touch(ctx context.Context, hashes []string, at time.Time) error {
	if len(hashes) == 0 {
		return nil
	}
	t := dbTime(at)
	_, err := r.db.NewUpdate().TableExpr("sessions").Set("last_used_at = ?", t).
		Where("token_hash IN (?)", bun.List(hashes)).
		Where("(last_used_at IS NULL OR last_used_at < ?)", t).Exec(ctx)
	return MapError(err)
}
