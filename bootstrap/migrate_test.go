package bootstrap

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3/lock"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/env"
)

// Migrating on start waits for another instance's migration lock for as
// long as ONIT_MIGRATE_LOCK_TIMEOUT says, not for fx's start-up timeout,
// and a stop signal (the run context) ends the wait.
func TestMigrateOnStartWaitsOutsideStartTimeout(t *testing.T) {
	cases := []struct {
		name    string
		release time.Duration // when the other migrator lets go; 0: never
		cancel  time.Duration // when the stop signal comes; 0: never
		wantErr string
	}{
		{name: "lock released after the start-up timeout", release: 2 * time.Second},
		{name: "stop signal while waiting", cancel: time.Second, wantErr: "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := mysqltest.DSN(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db, err := mysql.Open(ctx, mysqltest.Settings(dsn), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			other, err := lock.NewMySQLTableLocker(lock.WithTableName("goose_lock"))
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Lock(ctx, db.DB); err != nil {
				t.Fatal(err)
			}
			released := false
			release := func() {
				if !released {
					released = true
					_ = other.Unlock(context.Background(), db.DB)
				}
			}
			defer release()
			if tc.release > 0 {
				time.AfterFunc(tc.release, release)
			}
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, stop)
			}

			s := env.Defaults(env.Test)
			s.MySQL.DSN = dsn
			s.MySQL.MigrateLockTimeout = time.Minute
			s.Log.Level = "error"
			start := time.Now()
			app := fx.New(
				settingsModule(s), loggingModule(io.Discard), mysqlModule, migrateOnStartModule,
				fx.Supply(runContext{runCtx}), fx.StartTimeout(500*time.Millisecond), fx.NopLogger,
			)
			err = app.Err()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if d := time.Since(start); d > 15*time.Second {
					t.Errorf("stopped waiting after %s, want about %s", d, tc.cancel)
				}
				return
			}
			if err != nil {
				t.Fatalf("migrating behind a lock held for %s with a 500 ms start-up timeout: %v", tc.release, err)
			}
			startCtx, cancelStart := context.WithTimeout(ctx, app.StartTimeout())
			defer cancelStart()
			if err := app.Start(startCtx); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = app.Stop(context.Background()) }()
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&n); err != nil || n == 0 {
				t.Fatalf("applied versions = %d, %v; want the migrations applied", n, err)
			}
		})
	}
}
