package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// Outbox is the in-memory twin of the MySQL email outbox.
type Outbox struct {
	mu     sync.Mutex
	nextID int64
	m      map[int64]*outboxEntry
}

type outboxEntry struct {
	q    email.Queued
	due  bool // false once sent or abandoned
	sent *time.Time
}

var _ ports.Outbox = (*Outbox)(nil)

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox { return &Outbox{m: map[int64]*outboxEntry{}} }

// Enqueue stores m, due at now.
func (o *Outbox) Enqueue(_ context.Context, m email.Message, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextID++
	now = now.UTC()
	o.m[o.nextID] = &outboxEntry{q: email.Queued{ID: o.nextID, Message: m, Created: now, NextAttempt: now}, due: true}
	return nil
}

// ClaimDue claims up to limit due messages, oldest due first.
func (o *Outbox) ClaimDue(_ context.Context, now time.Time, lease time.Duration, limit int) ([]email.Queued, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*outboxEntry
	for _, e := range o.m {
		if e.due && !e.q.NextAttempt.After(now) {
			due = append(due, e)
		}
	}
	slices.SortFunc(due, func(a, b *outboxEntry) int {
		if c := a.q.NextAttempt.Compare(b.q.NextAttempt); c != 0 {
			return c
		}
		return int(a.q.ID - b.q.ID)
	})
	var out []email.Queued
	for _, e := range due[:min(limit, len(due))] {
		e.q.Attempts++
		e.q.NextAttempt = now.Add(lease).UTC()
		out = append(out, e.q)
	}
	return out, nil
}

func (o *Outbox) entry(id int64) (*outboxEntry, error) {
	e, ok := o.m[id]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return e, nil
}

// MarkSent records delivery. NotFound when absent.
func (o *Outbox) MarkSent(_ context.Context, id int64, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(id)
	if err != nil {
		return err
	}
	t := now.UTC()
	e.due, e.sent = false, &t
	return nil
}

// Reschedule makes the message due at next. NotFound when absent.
func (o *Outbox) Reschedule(_ context.Context, id int64, next time.Time, lastErr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(id)
	if err != nil {
		return err
	}
	e.q.NextAttempt, e.q.LastError = next.UTC(), lastErr
	return nil
}

// Abandon gives up on the message. NotFound when absent.
func (o *Outbox) Abandon(_ context.Context, id int64, _ time.Time, lastErr string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(id)
	if err != nil {
		return err
	}
	e.due, e.q.LastError = false, lastErr
	return nil
}

// Pending returns the messages not yet sent nor abandoned, for tests.
func (o *Outbox) Pending() []email.Queued {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []email.Queued
	for _, e := range o.m {
		if e.due {
			out = append(out, e.q)
		}
	}
	slices.SortFunc(out, func(a, b email.Queued) int { return int(a.ID - b.ID) })
	return out
}

// PasswordResetRepository is the in-memory twin of the password_resets table.
type PasswordResetRepository struct {
	mu sync.Mutex
	m  map[string]accounts.PasswordReset
}

var _ ports.PasswordResetRepository = (*PasswordResetRepository)(nil)

// NewPasswordResetRepository returns an empty repository.
func NewPasswordResetRepository() *PasswordResetRepository {
	return &PasswordResetRepository{m: map[string]accounts.PasswordReset{}}
}

// Create stores r; Conflict when its hash exists.
func (p *PasswordResetRepository) Create(_ context.Context, r accounts.PasswordReset) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[r.TokenHash]; ok {
		return domain.ErrConflict
	}
	p.m[r.TokenHash] = r
	return nil
}

// ByHash returns the reset; NotFound when absent.
func (p *PasswordResetRepository) ByHash(_ context.Context, hash string) (accounts.PasswordReset, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[hash]
	if !ok {
		return accounts.PasswordReset{}, domain.ErrNotFound
	}
	return r, nil
}

// MarkUsed sets UsedAt if unset: NotFound when absent, Conflict when used.
func (p *PasswordResetRepository) MarkUsed(_ context.Context, hash string, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[hash]
	switch {
	case !ok:
		return domain.ErrNotFound
	case r.UsedAt != nil:
		return domain.ErrConflict
	}
	t := now.UTC()
	r.UsedAt = &t
	p.m[hash] = r
	return nil
}

// DeleteExpired removes resets expired at now.
func (p *PasswordResetRepository) DeleteExpired(_ context.Context, now time.Time) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for h, r := range p.m {
		if !now.Before(r.ExpiresAt) {
			delete(p.m, h)
			n++
		}
	}
	return n, nil
}

// Mailbox is the in-memory twin of the mail system: it keeps what it was
// sent, and fails while told to.
type Mailbox struct {
	mu   sync.Mutex
	msgs []email.Message
	fail error
}

var _ ports.EmailSender = (*Mailbox)(nil)

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox { return &Mailbox{} }

// Send keeps m, or returns the failure set by FailWith.
func (b *Mailbox) Send(ctx context.Context, m email.Message) error {
	if err := ctx.Err(); err != nil {
		return domain.Unavailable(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.msgs = append(b.msgs, m)
	return nil
}

// FailWith makes every Send fail with err until called with nil.
func (b *Mailbox) FailWith(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = err
}

// Messages returns what was sent so far.
func (b *Mailbox) Messages() []email.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}
