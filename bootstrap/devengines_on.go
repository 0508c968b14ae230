//go:build devengines

package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/devengines"
	"github.com/onitapp/onit/env"
)

// embeddedAvailable: this binary links the embedded engines.
const embeddedAvailable = true

// engineStartTimeout bounds starting an embedded engine.
const engineStartTimeout = time.Minute

// embeddedEngines starts an in-process MySQL-compatible engine and Redis
// for whatever the development settings leave unconfigured, by decorating
// the settings the adapters read (top level, so every module sees it).
func embeddedEngines(s env.Settings) fx.Option {
	opts := []fx.Option{embeddedRedis(s)}
	if !mysqlConfig(s.MySQL).Configured() {
		opts = append(opts, fx.Decorate(startEmbeddedMySQL))
	}
	return fx.Options(opts...)
}

// embeddedRedis is the embedded Redis alone, when none is configured.
func embeddedRedis(s env.Settings) fx.Option {
	if len(s.Redis.Addrs) > 0 {
		return fx.Options()
	}
	return fx.Decorate(startEmbeddedRedis)
}

func startEmbeddedMySQL(lc fx.Lifecycle, cfg env.MySQL, eng *engines, log *slog.Logger) (env.MySQL, error) {
	ctx, cancel := context.WithTimeout(context.Background(), engineStartTimeout)
	defer cancel()
	dsn, stop, err := devengines.StartMySQL(ctx, log)
	if err != nil {
		return cfg, &failure{err: fmt.Errorf("embedded MySQL-compatible engine: %w", err)}
	}
	lc.Append(fx.StopHook(stop))
	cfg.DSN, cfg.TLS = dsn, false
	_, addr, _ := strings.Cut(dsn, "tcp(")
	addr, _, _ = strings.Cut(addr, ")")
	eng.add(engine{What: "MySQL-compatible engine (go-mysql-server)", Addr: addr, DSN: dsn})
	return cfg, nil
}

func startEmbeddedRedis(lc fx.Lifecycle, cfg env.Redis, eng *engines) (env.Redis, error) {
	addr, stop, err := devengines.StartRedis()
	if err != nil {
		return cfg, &failure{err: fmt.Errorf("embedded Redis: %w", err)}
	}
	lc.Append(fx.StopHook(stop))
	cfg.Addrs, cfg.Cluster, cfg.RedisTLS = []string{addr}, false, false
	eng.add(engine{What: "Redis (miniredis)", Addr: addr})
	return cfg, nil
}
