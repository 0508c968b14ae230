// Package housekeeping deletes what has expired: sessions past their
// expiry, idempotency records past their TTL and password-reset tokens
// past theirs. It is one use case, run
// by `onit housekeeping` from a schedule (an ECS scheduled task, cron) on
// any instance; nothing else deletes these rows, and without it the tables
// grow without bound.
package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onitapp/onit/ports"
)

// Config holds the module's settings as plain values.
type Config struct {
	// IdempotencyTTL is how long a creating POST's response is replayed
	// (ONIT_IDEMPOTENCY_TTL); older records are deleted.
	IdempotencyTTL time.Duration
}

// Service runs the housekeeping.
type Service struct {
	sessions    ports.SessionRepository
	idempotency ports.IdempotencyRepository
	resets      ports.PasswordResetRepository
	clock       ports.Clock
	cfg         Config
}

// New returns the service.
func New(sessions ports.SessionRepository, idempotency ports.IdempotencyRepository,
	resets ports.PasswordResetRepository, clock ports.Clock, cfg Config,
) *Service {
	return &Service{sessions: sessions, idempotency: idempotency, resets: resets, clock: clock, cfg: cfg}
}

// Report is what one run deleted.
type Report struct {
	Sessions           int64
	IdempotencyRecords int64
	PasswordResets     int64
	Duration           time.Duration
}

// Run deletes expired sessions, idempotency records and password-reset
// tokens and reports how many. The repositories delete in bounded batches, each its own
// statement, so a backlog never holds locks on many rows at once and two
// runs at the same time (two instances, an overlapping schedule) only share
// the work. One failing part does not stop the other; their errors are
// joined, and the counts say what was done.
func (s *Service) Run(ctx context.Context) (Report, error) {
	start := s.clock.Now()
	var rep Report
	var errs []error
	n, err := s.sessions.DeleteExpired(ctx, start)
	rep.Sessions = n
	if err != nil {
		errs = append(errs, fmt.Errorf("expired sessions: %w", err))
	}
	n, err = s.idempotency.Purge(ctx, start.Add(-s.cfg.IdempotencyTTL))
	rep.IdempotencyRecords = n
	if err != nil {
		errs = append(errs, fmt.Errorf("expired idempotency records: %w", err))
	}
	n, err = s.resets.DeleteExpired(ctx, start)
	rep.PasswordResets = n
	if err != nil {
		errs = append(errs, fmt.Errorf("expired password resets: %w", err))
	}
	rep.Duration = s.clock.Now().Sub(start)
	return rep, errors.Join(errs...)
}
