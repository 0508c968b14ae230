package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// outboxRow is a row of email_outbox (migrations/sql/00005_password_reset.sql).
type outboxRow struct {
	bun.BaseModel `bun:"table:email_outbox"`

	ID            int64      `bun:"id,pk,autoincrement"`
	ToAddr        string     `bun:"to_addr"`
	Subject       string     `bun:"subject"`
	Body          string     `bun:"body"`
	CreatedAt     time.Time  `bun:"created_at"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt *time.Time `bun:"next_attempt_at"`
	LastError     string     `bun:"last_error"`
	SentAt        *time.Time `bun:"sent_at"`
	AbandonedAt   *time.Time `bun:"abandoned_at"`
}

func (r outboxRow) toDomain() email.Queued {
	q := email.Queued{ID: r.ID, Message: email.Message{To: r.ToAddr, Subject: r.Subject, Body: r.Body},
		Created: r.CreatedAt.UTC(), Attempts: r.Attempts, LastError: r.LastError}
	if r.NextAttemptAt != nil {
		q.NextAttempt = r.NextAttemptAt.UTC()
	}
	return q
}

// Outbox is the email outbox table.
type Outbox struct{ db bun.IDB }

var _ ports.Outbox = (*Outbox)(nil)

// NewOutbox returns an outbox on db: the pool, or a transaction.
func NewOutbox(db bun.IDB) *Outbox { return &Outbox{db: db} }

// Enqueue inserts m, due at now.
func (o *Outbox) Enqueue(ctx context.Context, m email.Message, now time.Time) error {
	t := dbTime(now)
	row := outboxRow{ToAddr: m.To, Subject: m.Subject, Body: m.Body, CreatedAt: t, NextAttemptAt: &t}
	_, err := o.db.NewInsert().Model(&row).Exec(ctx)
	return MapError(err)
}

// ClaimDue reads up to limit due messages over email_outbox_next_attempt_at_idx
// and claims each with a conditional UPDATE (still due at the time we read:
// another sender that claimed it first moved next_attempt_at). Portable to
// MySQL 8, MariaDB and the embedded engine, unlike SKIP LOCKED, and it
// holds no lock while mail is sent. Round-trips: one SELECT and one UPDATE
// per message, then one SELECT of the claimed rows.
func (o *Outbox) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]email.Queued, error) {
	type due struct {
		ID            int64     `bun:"id"`
		NextAttemptAt time.Time `bun:"next_attempt_at"`
	}
	var rows []due
	if err := o.db.NewSelect().Model((*outboxRow)(nil)).Column("id", "next_attempt_at").
		Where("next_attempt_at <= ?", dbTime(now)).OrderExpr("next_attempt_at, id").Limit(int64(limit)).
		Scan(ctx, &rows); err != nil {
		return nil, MapError(err)
	}
	until := dbTime(now.Add(lease))
	var claimed []int64
	for _, r := range rows {
		res, err := o.db.NewUpdate().TableExpr("email_outbox").
			Set("next_attempt_at = ?", until).Set("attempts = attempts + 1").
			Where("id = ?", r.ID).Where("next_attempt_at = ?", dbTime(r.NextAttemptAt)).Exec(ctx)
		if err != nil {
			return nil, MapError(err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			claimed = append(claimed, r.ID)
		}
	}
	if len(claimed) == 0 {
		return nil, nil
	}
	var got []outboxRow
	if err := o.db.NewSelect().Model(&got).Where("id IN (?)", bun.List(claimed)).Order("id").Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	out := make([]email.Queued, len(got))
	for i, r := range got {
		out[i] = r.toDomain()
	}
	return out, nil
}

func (o *Outbox) finish(ctx context.Context, q *bun.UpdateQuery, id int64) error {
	res, err := q.TableExpr("email_outbox").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return MapError(err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// MarkSent records delivery; NotFound when absent.
func (o *Outbox) MarkSent(ctx context.Context, id int64, now time.Time) error {
	return o.finish(ctx, o.db.NewUpdate().Set("sent_at = ?", dbTime(now)).Set("next_attempt_at = NULL"), id)
}

// Reschedule makes the message due at next; NotFound when absent.
func (o *Outbox) Reschedule(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return o.finish(ctx, o.db.NewUpdate().Set("next_attempt_at = ?", dbTime(next)).Set("last_error = ?", lastErr), id)
}

// Abandon gives up on the message; NotFound when absent.
func (o *Outbox) Abandon(ctx context.Context, id int64, now time.Time, lastErr string) error {
	return o.finish(ctx, o.db.NewUpdate().Set("abandoned_at = ?", dbTime(now)).
		Set("next_attempt_at = NULL").Set("last_error = ?", lastErr), id)
}

// resetRow is a row of password_resets.
type resetRow struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID        int64      `bun:"id,pk,autoincrement"`
	TokenHash string     `bun:"token_hash"`
	UserID    int64      `bun:"user_id"`
	State     string     `bun:"state"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

func (r resetRow) toDomain() accounts.PasswordReset {
	p := accounts.PasswordReset{TokenHash: r.TokenHash, UserID: r.UserID, State: r.State,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	if r.UsedAt != nil {
		t := r.UsedAt.UTC()
		p.UsedAt = &t
	}
	return p
}

// PasswordResetRepository is the password_resets table.
type PasswordResetRepository struct{ db bun.IDB }

var _ ports.PasswordResetRepository = (*PasswordResetRepository)(nil)

// NewPasswordResetRepository returns a repository on db.
func NewPasswordResetRepository(db bun.IDB) *PasswordResetRepository {
	return &PasswordResetRepository{db: db}
}

// Create inserts r; Conflict when the hash exists.
func (p *PasswordResetRepository) Create(ctx context.Context, r accounts.PasswordReset) error {
	row := resetRow{TokenHash: r.TokenHash, UserID: r.UserID, State: r.State,
		CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt)}
	if r.UsedAt != nil {
		t := dbTime(*r.UsedAt)
		row.UsedAt = &t
	}
	_, err := p.db.NewInsert().Model(&row).Exec(ctx)
	return MapError(err)
}

// ByHash returns the reset; NotFound when absent.
func (p *PasswordResetRepository) ByHash(ctx context.Context, hash string) (accounts.PasswordReset, error) {
	var row resetRow
	if err := p.db.NewSelect().Model(&row).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return accounts.PasswordReset{}, MapError(err)
	}
	return row.toDomain(), nil
}

// MarkUsed sets used_at where it is NULL; one UPDATE decides between
// concurrent uses, and a second read tells NotFound from Conflict.
func (p *PasswordResetRepository) MarkUsed(ctx context.Context, hash string, now time.Time) error {
	res, err := p.db.NewUpdate().TableExpr("password_resets").Set("used_at = ?", dbTime(now)).
		Where("token_hash = ?", hash).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return MapError(err)
	} else if n == 1 {
		return nil
	}
	if _, err := p.ByHash(ctx, hash); err != nil {
		return err
	}
	return domain.ErrConflict
}

// DeleteExpired removes resets expired at now in batches.
func (p *PasswordResetRepository) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteInBatches(ctx, p.db, "password_resets", "expires_at <= ?", dbTime(now))
}
