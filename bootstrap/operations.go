package bootstrap

import (
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/metrics"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/redisstore"
)

// serverStatusTTL is how long a reading of the MySQL server's status is
// reused: scrapes every few seconds from several Prometheus replicas cost
// the database one reading per TTL.
const serverStatusTTL = 5 * time.Second

// operationsModule is metrics: the registry, the observers that openDB
// and newRedis take (optional inputs there, so commands and tests can run
// without them), and the pool and server collectors. newServer mounts
// /metrics.
var operationsModule = fx.Module("operations",
	fx.Provide(
		metrics.New,
		func(m *metrics.Metrics) mysql.QueryObserver { return m },
		func(m *metrics.Metrics) redisstore.Observer { return m },
	),
	fx.Invoke(registerCollectors, registerLocalCacheCollector),
)

// registerCollectors adds the collectors that read the pools and the
// server at scrape time. The server's status is read through
// mysql.Server, whose statements do not count as application reads.
//
// With a read replica its pool is go_sql_*{db_name="onit_replica"} and the
// router's view of it the onit_db_replica_* series.
func registerCollectors(m *metrics.Metrics, db *bun.DB, srv *mysql.Server, rc redis.UniversalClient, rr *mysql.ReadRouter) error {
	if rr.Configured() {
		if err := m.Register(metrics.DBPoolCollector(rr.Replica().DB, "onit_replica"), metrics.ReplicaCollector(rr)); err != nil {
			return err
		}
	}
	return m.Register(
		metrics.DBPoolCollector(db.DB, "onit"),
		metrics.RedisPoolCollector(rc),
		metrics.NewServerCollector(srv, serverStatusTTL),
	)
}

// registerLocalCacheCollector exports the instance's caches (sessionsModule)
// as onit_local_cache_*: whether they serve, how often they stopped, and
// how much they hold.
func registerLocalCacheCollector(m *metrics.Metrics, gate *localcache.Gate, sessions *localcache.Sessions, objects *localcache.Objects) error {
	return m.Register(metrics.LocalCacheCollector(gate, func() (int, int, int) {
		held, _ := sessions.Len()
		projects, tasks := objects.Len()
		return held, projects, tasks
	}))
}
