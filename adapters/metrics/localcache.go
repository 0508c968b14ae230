package metrics

import "github.com/prometheus/client_golang/prometheus"

// LocalCacheGate is the gate in front of the instance's caches
// (adapters/localcache.Gate) as the collector reads it.
type LocalCacheGate interface {
	// Trusted reports whether the caches serve their copies now.
	Trusted() bool
	// Lapses counts the times the caches, once trusted, stopped serving.
	Lapses() uint64
}

type localCacheCollector struct {
	gate                    LocalCacheGate
	entries                 func() (sessions, projects, tasks int)
	trusted, lapses, counts *prometheus.Desc
}

// LocalCacheCollector exports the instance's caches at scrape time:
// onit_local_cache_trusted (1 while both invalidation feeds vouch for
// them), onit_local_cache_lapses_total (times they stopped serving: each
// lapse sends the reads they would have served to MySQL until they are
// trusted and filled again) and onit_local_cache_entries{kind} from
// entries.
func LocalCacheCollector(gate LocalCacheGate, entries func() (sessions, projects, tasks int)) prometheus.Collector {
	return &localCacheCollector{
		gate:    gate,
		entries: entries,
		trusted: prometheus.NewDesc("onit_local_cache_trusted", "1 while both invalidation feeds vouch for this instance's caches, so it serves its copies.", nil, nil),
		lapses:  prometheus.NewDesc("onit_local_cache_lapses_total", "Times this instance's caches, once trusted, stopped serving (a feed failed or was late).", nil, nil),
		counts:  prometheus.NewDesc("onit_local_cache_entries", "Entries held in this instance's caches, by kind.", []string{"kind"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *localCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.trusted, c.lapses, c.counts} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *localCacheCollector) Collect(ch chan<- prometheus.Metric) {
	sessions, projects, tasks := c.entries()
	ch <- prometheus.MustNewConstMetric(c.trusted, prometheus.GaugeValue, b2f(c.gate.Trusted()))
	ch <- prometheus.MustNewConstMetric(c.lapses, prometheus.CounterValue, float64(c.gate.Lapses()))
	ch <- prometheus.MustNewConstMetric(c.counts, prometheus.GaugeValue, float64(sessions), "sessions")
	ch <- prometheus.MustNewConstMetric(c.counts, prometheus.GaugeValue, float64(projects), "projects")
	ch <- prometheus.MustNewConstMetric(c.counts, prometheus.GaugeValue, float64(tasks), "tasks")
}
