package bootstrap

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/onitapp/onit/adapters/checks"
	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/env"
)

// runCheck is Django's `check [--deploy] [--fail-level]`. It does not boot
// the application: an unreachable server must be a finding in the report,
// not a start-up failure, and it never starts the embedded engines (there
// would be nothing to check in a fresh one).
func runCheck(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("check", "[--deploy] [--format text|json] [--fail-level LEVEL]", stdio)
	deploy := fs.Bool("deploy", false, "also run the deployment checklist (Django's check --deploy)")
	format := fs.String("format", "text", "text (Django's layout) or json (for CI)")
	failLevel := fs.String("fail-level", "error", "exit 1 when an issue at or above this level remains: debug, info, warning, error or critical")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	level, err := checks.ParseLevel(*failLevel)
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit check: --fail-level: %v\n", err)
		return exitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stdio.Err, "onit check: --format: unknown format %q (want text or json)\n", *format)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Err, "onit check: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}

	s, settingsErr := env.Load(env.FromOS())
	in, closeProbes := probe(ctx, s, settingsErr)
	defer closeProbes()
	res := checks.Evaluate(checks.Run(ctx, in, *deploy), s.Checks.Silenced, level)

	out := stdio.Out
	if *format == "text" && res.Failed() {
		out = stdio.Err // as Django: a failing report is an error message
	}
	write := res.WriteText
	if *format == "json" {
		write = res.WriteJSON
	}
	if err := write(out); err != nil {
		fmt.Fprintf(stdio.Err, "onit check: %v\n", err)
		return exitFailure
	}
	if res.Failed() {
		return exitFailure
	}
	return exitOK
}

// probe connects to what the settings name and returns the checks' input
// and a function closing the connections.
func probe(ctx context.Context, s env.Settings, settingsErr error) (checks.Input, func()) {
	in := checks.Input{Settings: s, SettingsErr: settingsErr, Languages: accounts.Languages}
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if settingsErr != nil {
		return in, closeAll
	}
	// Quiet: findings carry the errors; pool warnings would only repeat them.
	log := slog.New(slog.DiscardHandler)

	if s.MySQL.DSN == "" && s.MySQL.Host == "" {
		in.DBErr = checks.ErrNotConfigured
	} else {
		ctx, cancel := context.WithTimeout(ctx, s.MySQL.DialTimeout+s.MySQL.QueryTimeout)
		db, err := mysql.Open(ctx, s.MySQL, log, nil)
		cancel()
		if err != nil {
			in.DBErr = err
		} else {
			closers = append(closers, func() { _ = db.Close() })
			in.DB = checks.MySQLProbe{DB: db, Log: log}
		}
	}

	if len(s.Redis.Addrs) == 0 {
		in.CacheErr = checks.ErrNotConfigured
	} else if c, err := redisstore.NewClient(s.Redis); err != nil {
		in.CacheErr = err
	} else {
		closers = append(closers, func() { _ = c.Close() })
		ctx, cancel := context.WithTimeout(ctx, s.Redis.RedisDialTimeout+s.Redis.RedisReadTimeout)
		err := redisstore.NewHealth(c).Ping(ctx)
		cancel()
		if err != nil {
			in.CacheErr = err
		} else {
			in.Cache = checks.RedisProbe{Client: c}
		}
	}

	if cat, err := i18n.Load(s.I18n.LanguageCode); err != nil {
		in.CatalogErr = err
	} else {
		in.Catalog = cat
	}
	return in, closeAll
}
