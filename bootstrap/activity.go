package bootstrap

import (
	"context"
	"log/slog"
	"time"

	"go.uber.org/fx"

	appaccounts "github.com/onitapp/onit/app/accounts"
)

// activityInterval is how often sessions' last-used minutes are written.
const activityInterval = time.Minute

// sessionActivityModule writes the sessions' last-used times the accounts
// service collects in memory, once a minute and at stop, instead of once
// per request.
var sessionActivityModule = fx.Module("sessionactivity", fx.Invoke(runSessionActivity))

func runSessionActivity(lc fx.Lifecycle, svc *appaccounts.Service, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	flush := func(ctx context.Context) {
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := svc.FlushSessionActivity(fctx); err != nil {
			log.WarnContext(ctx, "writing sessions' last use failed; those times are lost", "err", err)
		}
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				t := time.NewTicker(activityInterval)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						flush(ctx)
					}
				}
			}()
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel()
			<-done
			flush(stop)
			return nil
		},
	})
}
