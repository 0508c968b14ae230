package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// waitingLocker is goose's table locker, saying while it waits: goose
// retries silently and reports only when it gives up, which leaves an
// instance that waits minutes behind another migrator (a deploy's data
// migration) looking hung. Every `every` it logs how long it has waited,
// its limit and who holds the lock.
type waitingLocker struct {
	inner   lock.Locker
	log     *slog.Logger
	every   time.Duration
	timeout time.Duration
}

var _ lock.Locker = (*waitingLocker)(nil)

// Lock implements lock.Locker. The caller's context goes to goose
// unchanged: goose's heartbeat lives on it for as long as the lock is held,
// so a deadline here would end the heartbeat of a long migration.
func (l *waitingLocker) Lock(ctx context.Context, db *sql.DB) error {
	start := time.Now()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				holder, expires := lockHolder(ctx, db)
				l.log.InfoContext(ctx, "waiting for the migration lock",
					"held_by", holder,
					"lease_expires_at", expires,
					"waited_ms", time.Since(start).Milliseconds(),
					"timeout_ms", l.timeout.Milliseconds())
			}
		}
	}()
	err := l.inner.Lock(ctx, db)
	close(done)
	<-stopped
	if err != nil {
		if ctx.Err() == nil {
			return fmt.Errorf("another migrator held the migration lock for more than %s (ONIT_MIGRATE_LOCK_TIMEOUT): %w", l.timeout, err)
		}
		return fmt.Errorf("waiting for the migration lock after %s: %w", time.Since(start).Round(time.Second), err)
	}
	if waited := time.Since(start); waited >= l.every {
		l.log.InfoContext(ctx, "migration lock acquired", "waited_ms", waited.Milliseconds())
	}
	return nil
}

// Unlock implements lock.Locker.
func (l *waitingLocker) Unlock(ctx context.Context, db *sql.DB) error { return l.inner.Unlock(ctx, db) }

// lockHolder reads who holds goose's lock, for the waiting log line;
// whatever it cannot read is reported as unknown.
func lockHolder(ctx context.Context, db *sql.DB) (holder, expires string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var by sql.NullString
	var exp sql.NullTime
	err := db.QueryRowContext(ctx,
		"SELECT locked_by, lease_expires_at FROM "+lockTable+" WHERE locked = 1 LIMIT 1").Scan(&by, &exp)
	if err != nil || !by.Valid {
		return "unknown", ""
	}
	if exp.Valid {
		expires = exp.Time.UTC().Format(time.RFC3339)
	}
	return by.String, expires
}
