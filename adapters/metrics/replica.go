package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReplicaSource is the read router (adapters/mysql.ReadRouter) as the
// replica collector reads it.
type ReplicaSource interface {
	// ReplicaState is the last lag reading.
	ReplicaState() (up, usable bool, lag time.Duration)
	// Reads counts the lag-tolerant reads each pool served and the
	// replica failures that fell back to the primary.
	Reads() (replica, primary, fallbacks int64)
}

type replicaCollector struct {
	src                    ReplicaSource
	up, usable, lag, reads *prometheus.Desc
	fallbacks              *prometheus.Desc
}

// ReplicaCollector exports the read replica as the router sees it, at
// scrape time and without a round trip: onit_db_replica_up (answers and
// replicates), onit_db_replica_usable (and lags within the threshold),
// onit_db_replica_lag_seconds, onit_db_lag_tolerant_reads_total{pool} and
// onit_db_replica_fallbacks_total (replica failures the primary answered).
func ReplicaCollector(src ReplicaSource) prometheus.Collector {
	return &replicaCollector{
		src:       src,
		up:        prometheus.NewDesc("onit_db_replica_up", "1 when the read replica answered the last lag reading and replicates.", nil, nil),
		usable:    prometheus.NewDesc("onit_db_replica_usable", "1 when lag-tolerant reads go to the replica (up and lag within ONIT_MYSQL_REPLICA_MAX_LAG).", nil, nil),
		lag:       prometheus.NewDesc("onit_db_replica_lag_seconds", "Replication lag the replica last reported.", nil, nil),
		reads:     prometheus.NewDesc("onit_db_lag_tolerant_reads_total", "Lag-tolerant reads (lists) by the pool that served them.", []string{"pool"}, nil),
		fallbacks: prometheus.NewDesc("onit_db_replica_fallbacks_total", "Replica reads that failed and were answered by the primary.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.usable, c.lag, c.reads, c.fallbacks} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	up, usable, lag := c.src.ReplicaState()
	replica, primary, fallbacks := c.src.Reads()
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(up))
	ch <- prometheus.MustNewConstMetric(c.usable, prometheus.GaugeValue, b2f(usable))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag.Seconds())
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(replica), "replica")
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(primary), "primary")
	ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(fallbacks))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
