//go:build devengines

package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/onitapp/onit/adapters/devengines"
	"github.com/onitapp/onit/env"
)

// startEmbedded starts the in-process MySQL-compatible engine and Redis for
// whatever development has not configured, and points the settings at them.
// Only development does this: test and production always use real servers.
func startEmbedded(ctx context.Context, s *env.Settings) (stop func(), engines []string, err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if s.Env != env.Development {
		return stop, nil, nil
	}
	if s.MySQL.DSN == "" && s.MySQL.Host == "" {
		dsn, stopMySQL, err := devengines.StartMySQL(ctx, slog.Default())
		if err != nil {
			return stop, nil, fmt.Errorf("embedded MySQL: %w", err)
		}
		stops = append(stops, stopMySQL)
		s.MySQL.DSN = dsn
		s.MySQL.TLS = false
		s.MySQL.MigrateOnStart = true
		_, addr, _ := strings.Cut(dsn, "tcp(")
		engines = append(engines, "MySQL-compatible engine (go-mysql-server) on "+strings.SplitN(addr, ")", 2)[0])
	}
	if len(s.Redis.Addrs) == 0 {
		addr, stopRedis, err := devengines.StartRedis()
		if err != nil {
			stop()
			return func() {}, nil, fmt.Errorf("embedded Redis: %w", err)
		}
		stops = append(stops, stopRedis)
		s.Redis.Addrs = []string{addr}
		s.Redis.Cluster = false
		s.Redis.RedisTLS = false
		engines = append(engines, "Redis (miniredis) on "+addr)
	}
	return stop, engines, nil
}
