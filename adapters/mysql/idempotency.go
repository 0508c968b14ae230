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

// Claim inserts the record with an empty response, autocommit, and
// returns its ID; a duplicate (user_id, idem_key) is ErrIdempotencyKeyUsed.
func (r *IdempotencyRepository) Claim(ctx context.Context, rec ports.IdempotencyRecord) (int64, error) {
	res, err := r.db.NewRaw("INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, response, created_at)"+
		" VALUES (?, ?, ?, '', ?)", rec.UserID, rec.Key, rec.Fingerprint, dbTime(rec.CreatedAt)).Exec(ctx)
	if _, dup := IsDuplicate(err); dup {
		return 0, dp.ErrIdempotencyKeyUsed.Wrap(err)
	}
	if err != nil {
		return 0, MapError(err)
	}
	id, err := res.LastInsertId()
	return id, MapError(err)
}

// TakeOver is one UPDATE guarded by the creation time read.
func (r *IdempotencyRepository) TakeOver(ctx context.Context, id int64, was, now time.Time) (bool, error) {
	res, err := r.db.NewRaw("UPDATE idempotency_keys SET created_at = ? WHERE id = ? AND created_at = ?",
		dbTime(now), id, dbTime(was)).Exec(ctx)
	if err != nil {
		return false, MapError(err)
	}
	n, err := res.RowsAffected()
	return n > 0, MapError(err)
}

// Release deletes the claim while its creation time is still createdAt.
func (r *IdempotencyRepository) Release(ctx context.Context, id int64, createdAt time.Time) error {
	_, err := r.db.NewRaw("DELETE FROM idempotency_keys WHERE id = ? AND created_at = ?", id, dbTime(createdAt)).Exec(ctx)
	return MapError(err)
}

// claimRow is a record with the task created under it, if any.
type claimRow struct {
	idempotencyRow `bun:",extend"`
	TaskID         *int64     `bun:"task_id"`
	TaskCreatedAt  *time.Time `bun:"task_created_at"`
}

// Get returns the user's record for key, joined with the task that
// carries its ID (tasks_idempotency_id_uq: at most one); NotFound when
// absent. One statement of two key lookups.
func (r *IdempotencyRepository) Get(ctx context.Context, userID int64, key string) (ports.IdempotencyRecord, error) {
	var row claimRow
	err := r.db.NewRaw("SELECT k.id, k.user_id, k.idem_key, k.fingerprint, k.response, k.created_at,"+
		" t.id AS task_id, t.created_at AS task_created_at FROM idempotency_keys AS k"+
		" LEFT JOIN tasks AS t ON t.idempotency_id = k.id"+
		" WHERE k.user_id = ? AND k.idem_key = ?", userID, key).Scan(ctx, &row)
	if err != nil {
		return ports.IdempotencyRecord{}, MapError(err)
	}
	rec := ports.IdempotencyRecord{ID: row.ID, UserID: row.UserID, Key: row.Key, Fingerprint: row.Fingerprint,
		Response: row.Response, CreatedAt: row.CreatedAt.UTC()}
	if row.TaskID != nil && row.TaskCreatedAt != nil {
		rec.TaskID, rec.TaskCreatedAt = *row.TaskID, row.TaskCreatedAt.UTC()
	}
	return rec, nil
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
