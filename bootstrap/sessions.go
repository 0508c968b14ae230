package bootstrap

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/redisstore"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// sessionsModule is the instance-local session cache and the revocations
// that keep it true across instances: the cache (sized and timed by
// ONIT_SESSION_LOCAL_CACHE_SIZE and _TTL), the Redis pub/sub subscriber
// that feeds it, started with the application and stopped with it, and
// the accounts service switched over to both.
var sessionsModule = fx.Module("sessions",
	fx.Provide(
		func(cfg env.Sessions) *localcache.Sessions {
			return localcache.NewSessions(cfg.LocalCacheSize, cfg.LocalCacheTTL)
		},
		newRevocations,
	),
	fx.Invoke(useLocalSessions),
)

func newRevocations(lc fx.Lifecycle, c redis.UniversalClient, k redisstore.Keys, cache *localcache.Sessions,
	cfg env.Sessions, log *slog.Logger) *redisstore.Revocations {
	r := redisstore.NewRevocations(c, k, cache, redisstore.RevocationOptions{RetryFor: cfg.LocalCacheTTL}, log)
	// Start only spawns the subscriber; the cache stays off until the
	// subscription is confirmed, so start-up never waits for Redis.
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { r.Start(); return nil },
		OnStop:  r.Stop,
	})
	return r
}

// useLocalSessions runs before the server's start hook (invokes run before
// any hook), so no request sees the service half-configured.
func useLocalSessions(svc *appaccounts.Service, cache *localcache.Sessions, revs *redisstore.Revocations) {
	svc.UseLocalSessions(cache, revs)
}

var (
	_ ports.LocalSessionCache = (*localcache.Sessions)(nil)
	_ ports.Revocations       = (*redisstore.Revocations)(nil)
)
