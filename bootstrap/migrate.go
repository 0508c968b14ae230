package bootstrap

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/migrations"
)

// migrateOnStartModule applies pending migrations before the application
// starts, so before the server listens: development always (its embedded
// engine starts empty), elsewhere with `onit serve --migrate` or
// ONIT_MIGRATE_ON_START. Each migration is logged as it starts and ends.
//
// It runs as an invoke, while the graph is built, not in a start hook:
// start hooks share fx's start-up timeout (30 s), which would cut short
// both the wait for another instance's migration lock
// (ONIT_MIGRATE_LOCK_TIMEOUT) and a long migration. Only the run context
// (a stop signal) ends it.
var migrateOnStartModule = fx.Module("migrate", fx.Invoke(migrateOnStart))

// runContext is the context of the command running the application (its
// stop signal), for the work done while the graph is built; without one,
// that work runs to completion.
type runContext struct{ context.Context }

type migrateParams struct {
	fx.In
	DB     *bun.DB
	Log    *slog.Logger
	Config env.MySQL
	Run    runContext `optional:"true"`
}

func migrateOnStart(p migrateParams) error {
	ctx := context.Background()
	if p.Run.Context != nil {
		ctx = p.Run.Context
	}
	r, err := migrations.NewRunner(p.DB.DB, p.Log, migrations.WithLockTimeout(p.Config.MigrateLockTimeout))
	if err != nil {
		return err
	}
	res, err := r.UpWithProgress(ctx, func(pr migrations.Progress) { logProgress(p.Log, pr) })
	if err != nil {
		return &failure{err: fmt.Errorf("migrating on start: %w", err)}
	}
	p.Log.Info("migrations up to date", "applied", len(res))
	return nil
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
