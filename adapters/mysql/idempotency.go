package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// idempotencyRow is a row of idempotency_keys.
type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	ID          int64     `bun:"id,pk,autoincrement"`
	UserID      int64     `bun:"user_id"`
	Key         string    `bun:"idem_key"`
	Fingerprint string    `bun:"fingerprint"`
	Response    []byte    `bun:"response"`
	CreatedAt   time.Time `bun:"created_at"`
}

// IdempotencyRepository stores the responses of creating POSTs.
type IdempotencyRepository struct{ db bun.IDB }

var _ ports.IdempotencyRepository = (*IdempotencyRepository)(nil)

// NewIdempotencyRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewIdempotencyRepository(db bun.IDB) *IdempotencyRepository {
	return &IdempotencyRepository{db: db}
}

// Save inserts the record. Inside a transaction, InnoDB makes a concurrent
// INSERT of the same (user_id, idem_key) wait for this transaction and then
// fail with 1062, which is ErrIdempotencyKeyUsed.
func (r *IdempotencyRepository) Save(ctx context.Context, rec ports.IdempotencyRecord) error {
	row := idempotencyRow{UserID: rec.UserID, Key: rec.Key, Fingerprint: rec.Fingerprint,
		Response: rec.Response, CreatedAt: dbTime(rec.CreatedAt)}
	_, err := r.db.NewInsert().Model(&row).Exec(ctx)
	if _, dup := IsDuplicate(err); dup {
		return dp.ErrIdempotencyKeyUsed.Wrap(err)
	}
	return MapError(err)
}

// Get returns the user's record for key; NotFound when absent.
func (r *IdempotencyRepository) Get(ctx context.Context, userID int64, key string) (ports.IdempotencyRecord, error) {
	var row idempotencyRow
	err := r.db.NewRaw("SELECT id, user_id, idem_key, fingerprint, response, created_at FROM idempotency_keys"+
		" WHERE user_id = ? AND idem_key = ?", userID, key).Scan(ctx, &row)
	if err != nil {
		return ports.IdempotencyRecord{}, MapError(err)
	}
	return ports.IdempotencyRecord{UserID: row.UserID, Key: row.Key, Fingerprint: row.Fingerprint,
		Response: row.Response, CreatedAt: row.CreatedAt.UTC()}, nil
}

// DeleteExpired removes the record when it was created before cutoff.
func (r *IdempotencyRepository) DeleteExpired(ctx context.Context, userID int64, key string, cutoff time.Time) error {
	_, err := r.db.NewRaw("DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND created_at < ?",
		userID, key, dbTime(cutoff)).Exec(ctx)
	return MapError(err)
}

// Purge removes records created before cutoff in batches over
// idempotency_keys_created_at_idx, and returns how many.
func (r *IdempotencyRepository) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	return deleteInBatches(ctx, r.db, "idempotency_keys", "created_at < ?", dbTime(cutoff))
}
