package bootstrap

import (
	"context"
	"fmt"

	"go.uber.org/fx"

	appaccounts "github.com/onitapp/onit/app/accounts"
)

// runClearSessions deletes expired sessions, like Django's clearsessions;
// run it from a scheduled task.
func runClearSessions(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("clearsessions", "", stdio)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	var svc *appaccounts.Service
	code := withApp(ctx, stdio, func(ctx context.Context) error {
		n, err := svc.ClearExpiredSessions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "deleted %d expired sessions\n", n)
		return nil
	}, fx.Populate(&svc))
	return code
}

// withApp boots the application's services without serving HTTP, runs fn
// and stops everything again: management commands use the same wiring as
// the server, so they see the same adapters and settings.
func withApp(ctx context.Context, stdio Stdio, fn func(ctx context.Context) error, opts ...fx.Option) int {
	s, stopEngines, code := prepare(ctx, stdio)
	if code != exitOK {
		return code
	}
	defer stopEngines()
	app := fx.New(Composition(s, stdio.Err), fx.NopLogger, fx.Options(opts...))
	if err := app.Err(); err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return exitFailure
	}
	if err := app.Start(ctx); err != nil {
		fmt.Fprintf(stdio.Err, "onit: start: %v\n", err)
		return exitFailure
	}
	runErr := fn(ctx)
	if err := app.Stop(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(stdio.Err, "onit: stop: %v\n", err)
	}
	if runErr != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", runErr)
		return exitFailure
	}
	return exitOK
}
