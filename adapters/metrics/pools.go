package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
)

// DBPoolCollector exports the pool's sql.DBStats as client_golang's standard
// go_sql_* series (go_sql_open_connections, go_sql_in_use_connections,
// go_sql_idle_connections, go_sql_wait_count_total,
// go_sql_wait_duration_seconds_total, …) labelled db_name. Waits are the
// app-side queue depth: requests queued for one of the few connections a
// db.t4g.micro budget allows.
func DBPoolCollector(db *sql.DB, name string) prometheus.Collector {
	return collectors.NewDBStatsCollector(db, name)
}

// RedisPoolStats is what the Redis pool collector reads; redis.Client and
// redis.ClusterClient (summed over nodes) both provide it.
type RedisPoolStats interface {
	PoolStats() *redis.PoolStats
}

// redisPoolCollector reads the pool's counters at scrape time.
type redisPoolCollector struct {
	src                                  RedisPoolStats
	conns, hits, misses, timeouts, waits *prometheus.Desc
	waitSeconds, pending                 *prometheus.Desc
}

// RedisPoolCollector exports go-redis's pool statistics:
// onit_redis_pool_connections{state="total|idle"}, the hit, miss, timeout
// and wait counters, the time spent waiting for a connection and the
// requests waiting now.
func RedisPoolCollector(src RedisPoolStats) prometheus.Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("onit_redis_pool_"+name, help, labels, nil)
	}
	return &redisPoolCollector{
		src:         src,
		conns:       d("connections", "Connections in the Redis pool (all nodes), by state.", "state"),
		hits:        d("hits_total", "Times a free connection was found in the pool."),
		misses:      d("misses_total", "Times no free connection was found and one was dialled."),
		timeouts:    d("timeouts_total", "Times waiting for a connection timed out."),
		waits:       d("waits_total", "Times a caller waited for a connection."),
		waitSeconds: d("wait_seconds_total", "Time spent waiting for a connection."),
		pending:     d("pending_requests", "Callers waiting for a connection now."),
	}
}

// Describe implements prometheus.Collector.
func (c *redisPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.hits, c.misses, c.timeouts, c.waits, c.waitSeconds, c.pending} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; PoolStats is in-process, so a
// scrape costs no round trip.
func (c *redisPoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.PoolStats()
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.TotalConns), "total")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.IdleConns), "idle")
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(c.timeouts, prometheus.CounterValue, float64(s.Timeouts))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waitSeconds, prometheus.CounterValue, float64(s.WaitDurationNs)/1e9)
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.PendingRequests))
}
