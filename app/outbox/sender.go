// Package outbox delivers the queued emails of the outbox: a background
// sender claims due messages, hands them to the mail system and records
// the outcome, retrying failures with backoff. A mail server outage delays
// mail and loses none: messages stay in MySQL until sent.
package outbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// Config tunes the sender.
type Config struct {
	// Interval between polls of the outbox.
	Interval time.Duration
	// SendTimeout bounds one delivery attempt; the lease is longer, so a
	// claimed message is never sent twice by two live senders.
	SendTimeout time.Duration
	// Batch is how many messages one claim takes.
	Batch int
	// Backoff is the wait after a failed attempt; default email.Backoff.
	Backoff func(attempt int) time.Duration
}

// Sender drains the outbox into an EmailSender.
type Sender struct {
	cfg    Config
	outbox ports.Outbox
	mail   ports.EmailSender
	clock  ports.Clock
	log    *slog.Logger
}

// NewSender returns a sender; zero Config fields get defaults (5 s poll,
// 30 s per message, 20 per claim). A nil log discards.
func NewSender(cfg Config, outbox ports.Outbox, mail ports.EmailSender, clock ports.Clock, log *slog.Logger) *Sender {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Backoff == nil {
		cfg.Backoff = email.Backoff
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg, outbox: outbox, mail: mail, clock: clock, log: log}
}

// lease is how long a claim keeps other senders off a message: every
// message of the batch may take its whole timeout, plus slack.
func (s *Sender) lease() time.Duration {
	return time.Duration(s.cfg.Batch)*s.cfg.SendTimeout + time.Minute
}

// Run drains the outbox every Interval until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "email outbox: claiming failed; retrying at the next poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain sends every message due now and returns how many were sent. A
// failed delivery is rescheduled (or abandoned after email.MaxAttempts)
// and does not stop the others; the error is only that of claiming or
// recording.
func (s *Sender) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		batch, err := s.outbox.ClaimDue(ctx, s.clock.Now().UTC(), s.lease(), s.cfg.Batch)
		if err != nil {
			return sent, err
		}
		for _, q := range batch {
			ok, err := s.deliver(ctx, q)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(batch) < s.cfg.Batch {
			break
		}
	}
	return sent, nil
}

// deliver sends one claimed message and records the outcome.
func (s *Sender) deliver(ctx context.Context, q email.Queued) (bool, error) {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	err := s.mail.Send(sctx, q.Message)
	cancel()
	now := s.clock.Now().UTC()
	if err == nil {
		return true, s.outbox.MarkSent(ctx, q.ID, now)
	}
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and another sender retries it.
		return false, ctx.Err()
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	// A refusal for good (a bad recipient) will not change by waiting.
	if q.Attempts >= email.MaxAttempts || !domain.IsKind(err, domain.KindUnavailable) {
		s.log.ErrorContext(ctx, "email outbox: giving up on a message", "id", q.ID, "attempts", q.Attempts, "err", err)
		return false, s.outbox.Abandon(ctx, q.ID, now, msg)
	}
	next := now.Add(s.cfg.Backoff(q.Attempts))
	s.log.WarnContext(ctx, "email outbox: delivery failed; will retry", "id", q.ID, "attempts", q.Attempts,
		"retry_at", next, "err", err)
	return false, s.outbox.Reschedule(ctx, q.ID, next, msg)
}
