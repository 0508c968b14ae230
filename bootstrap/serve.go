package bootstrap

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

func runServe(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("serve", "[--migrate]", stdio)
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving (production does not by default)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	s, ok := loadSettings(stdio)
	if !ok {
		return exitUsage
	}
	if *migrate {
		s.MySQL.MigrateOnStart = true
	}
	stopEngines, engines, err := startEmbedded(ctx, &s)
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return exitUsage
	}
	defer stopEngines()

	app := fx.New(Composition(s, stdio.Err), Serving)
	if err := app.Err(); err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return exitFailure
	}
	startCtx, cancel := context.WithTimeout(ctx, app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		fmt.Fprintf(stdio.Err, "onit: start: %v\n", err)
		return exitFailure
	}
	banner(stdio, s, engines)
	select {
	case <-ctx.Done():
	case <-app.Wait():
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		fmt.Fprintf(stdio.Err, "onit: stop: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// banner tells a developer what is running and where.
func banner(stdio Stdio, s env.Settings, engines []string) {
	host := s.HTTP.Addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(stdio.Err, "\nOnit (%s) is up on http://%s\n", s.Env, host)
	fmt.Fprintf(stdio.Err, "  web app  http://%s/\n", host)
	fmt.Fprintf(stdio.Err, "  health   http://%s/healthz   ready http://%s/readyz\n", host, host)
	fmt.Fprintf(stdio.Err, "  API      http://%s/api/v1     docs  http://%s/api/openapi.json\n", host, host)
	for _, e := range engines {
		fmt.Fprintf(stdio.Err, "  embedded %s\n", e)
	}
	if len(engines) > 0 {
		fmt.Fprintln(stdio.Err, "  (data lives in memory and is gone when onit stops; set ONIT_MYSQL_DSN / ONIT_REDIS_ADDRS in .env to use real servers)")
	}
	fmt.Fprintln(stdio.Err)
}
