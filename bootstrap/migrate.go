package bootstrap

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/migrations"
)

// migrateOnStartModule applies pending migrations when the application
// starts, before the server listens: development always (its embedded
// engine starts empty), elsewhere with `onit serve --migrate` or
// ONIT_MIGRATE_ON_START. Each migration is logged as it starts and ends.
var migrateOnStartModule = fx.Module("migrate", fx.Invoke(migrateOnStart))

func migrateOnStart(lc fx.Lifecycle, db *bun.DB, log *slog.Logger) {
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		r, err := migrations.NewRunner(db.DB, log)
		if err != nil {
			return err
		}
		res, err := r.UpWithProgress(ctx, func(p migrations.Progress) { logProgress(log, p) })
		if err != nil {
			return &failure{err: fmt.Errorf("migrating on start: %w", err)}
		}
		log.Info("migrations up to date", "applied", len(res))
		return nil
	}))
}

// logProgress logs one migration step; durations in milliseconds, as every
// duration Onit logs.
func logProgress(log *slog.Logger, p migrations.Progress) {
	attrs := []any{"version", p.Version, "name", p.Name}
	switch {
	case !p.Done:
		log.Info("migration starting", attrs...)
	case p.Err != nil:
		log.Error("migration failed", append(attrs, "duration", p.Duration, "err", p.Err)...)
	case p.Skipped:
		log.Info("migration applied meanwhile by another instance", attrs...)
	default:
		if p.Rows >= 0 {
			attrs = append(attrs, "rows", p.Rows)
		}
		log.Info("migration applied", append(attrs, "duration", p.Duration)...)
	}
}
