package ports

import (
	"context"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
)

// EmailSender hands a message to the mail system (SMTP, the log in
// development). It is called only by the outbox's sender, never inside a
// request, so a slow or failing mail server delays mail and fails nothing.
type EmailSender interface {
	// Send delivers m or fails; Unavailable when trying again later may
	// work (connection refused, 4xx), Internal when it never will (the
	// server refused the recipient for good).
	Send(ctx context.Context, m email.Message) error
}

// Outbox is the durable queue of outgoing email (a MySQL table), written
// in the same transaction as the change that sends it, so a committed
// change always gets its email and a rolled-back one never does.
type Outbox interface {
	// Enqueue stores m, due at now.
	Enqueue(ctx context.Context, m email.Message, now time.Time) error
	// ClaimDue takes up to limit messages due at now for one sender: each
	// is moved lease into the future and its attempt counted, so other
	// senders leave it alone until the lease ends (a sender that dies
	// mid-send leaves it to be retried then). Delivery is at least once.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]email.Queued, error)
	// MarkSent records delivery of a claimed message; it is never due again.
	MarkSent(ctx context.Context, id int64, now time.Time) error
	// Reschedule makes a claimed message due again at next, keeping why it failed.
	Reschedule(ctx context.Context, id int64, next time.Time, lastErr string) error
	// Abandon gives up on a claimed message; it is never due again.
	Abandon(ctx context.Context, id int64, now time.Time, lastErr string) error
}

// PasswordResetRepository stores issued password-reset tokens by hash.
type PasswordResetRepository interface {
	// Create stores r. Conflict when its hash exists.
	Create(ctx context.Context, r accounts.PasswordReset) error
	// ByHash returns the reset, used or expired ones included. NotFound when absent.
	ByHash(ctx context.Context, hash string) (accounts.PasswordReset, error)
	// MarkUsed sets the reset's UsedAt to now, only if it was unused:
	// NotFound when absent, Conflict when already used, so of two
	// concurrent uses exactly one succeeds.
	MarkUsed(ctx context.Context, hash string, now time.Time) error
	// DeleteExpired removes resets expired at now and returns how many.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Translator renders messages of the i18n catalog, for text the core
// composes itself (emails). An unknown language falls back to the default.
type Translator interface {
	T(lang, key string, params map[string]any) string
}
