package bootstrap

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/redisstore"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// sessionsModule is the instance-local caches and the two feeds that keep
// them true across instances: the session cache (sized and timed by
// ONIT_SESSION_LOCAL_CACHE_SIZE and _TTL), the object cache of projects
// and tasks (ONIT_CACHE_SIZE and ONIT_CACHE_TTL), the Redis pub/sub
// subscriber (fast) and the MySQL invalidation log (durable), each started
// with the application and stopped with it, behind a gate that trusts the
// caches only while both prove they would deliver; and the accounts
// service switched over to the session cache, publishing on both (as the
// projects service does, through ports.Revocations).
var sessionsModule = fx.Module("sessions",
	fx.Provide(
		func(cfg env.Sessions) *localcache.Sessions {
			return localcache.NewSessions(cfg.LocalCacheSize, cfg.LocalCacheTTL)
		},
		func(cfg env.Redis) *localcache.Objects { return localcache.NewObjects(cfg.CacheSize, cfg.CacheTTL) },
		func(sessions *localcache.Sessions, objects *localcache.Objects) *localcache.Gate {
			return localcache.NewGate(localcache.Sinks{sessions, objects}, 2)
		},
		newRevocations,
		newInvalidationLog,
		// The durable channel first: a PUBLISH that Redis withholds (a
		// paused or throttled node) may use up the request's deadline.
		fx.Annotate(func(revs *redisstore.Revocations, logs *mysql.InvalidationLog) localcache.Fanout {
			return localcache.Fanout{logs, revs}
		}, fx.As(new(ports.Revocations))),
	),
	fx.Invoke(useLocalSessions),
)

// retryFor is how long a failed announcement is retried: as long as the
// longest-lived local copy it may be about could live.
func retryFor(s env.Sessions, r env.Redis) time.Duration { return max(s.LocalCacheTTL, r.CacheTTL) }

func newRevocations(lc fx.Lifecycle, c redis.UniversalClient, k redisstore.Keys, gate *localcache.Gate,
	cfg env.Sessions, rcfg env.Redis, log *slog.Logger) *redisstore.Revocations {
	r := redisstore.NewRevocations(c, k, gate.Feed(0), redisstore.RevocationOptions{RetryFor: retryFor(cfg, rcfg)}, log)
	// Start only spawns the subscriber; the cache stays off until the
	// subscription is confirmed, so start-up never waits for Redis.
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { r.Start(); return nil },
		OnStop:  r.Stop,
	})
	return r
}

func newInvalidationLog(lc fx.Lifecycle, db *bun.DB, gate *localcache.Gate, cfg env.Sessions, rcfg env.Redis, log *slog.Logger) *mysql.InvalidationLog {
	l := mysql.NewInvalidationLog(db, gate.Feed(1), mysql.InvalidationOptions{RetryFor: retryFor(cfg, rcfg)}, log)
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { l.Start(); return nil },
		OnStop:  l.Stop,
	})
	return l
}

// useLocalSessions runs before the server's start hook (invokes run before
// any hook), so no request sees the service half-configured.
func useLocalSessions(svc *appaccounts.Service, cache *localcache.Sessions, revs ports.Revocations) {
	svc.UseLocalSessions(cache, revs)
}

var (
	_ ports.LocalSessionCache = (*localcache.Sessions)(nil)
	_ ports.Revocations       = (*redisstore.Revocations)(nil)
	_ ports.Revocations       = (*mysql.InvalidationLog)(nil)
	_ localcache.Sink         = (*localcache.Sessions)(nil)
	_ localcache.Sink         = (*localcache.Objects)(nil)
	_ ports.ProjectCache      = (*localcache.Objects)(nil)
)
