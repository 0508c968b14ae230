// Package metrics is the Prometheus adapter: one registry per process (never
// client_golang's global one, so tests and two apps in one process do not
// collide) holding the HTTP, database, Redis, MySQL-server, Go runtime and
// process metrics, and the handler that serves them.
//
// It implements the observer interfaces the other adapters define
// (mysql.QueryObserver, redisstore.Observer, httpapi.RequestObserver), so
// those adapters never import Prometheus.
//
// Label values are bounded on purpose: routes are echo templates (or
// "unmatched"), methods a fixed set, query kinds read/write, Redis commands
// the few names Onit's code sends. A raw path or user-supplied string as a
// label would let any client grow the series count without limit.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Buckets, in seconds. Requests take milliseconds to seconds; queries and
// Redis commands are expected well under a millisecond to a few, and the
// ops team's "latency above a few ms" threshold must fall between buckets.
var (
	httpBuckets  = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	queryBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	redisBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
)

// Metrics is the process's registry and the instruments the adapters feed.
// Its Observe methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	queryDuration *prometheus.HistogramVec
	queryErrors   *prometheus.CounterVec

	redisDuration *prometheus.HistogramVec
	redisErrors   *prometheus.CounterVec

	log *slog.Logger
}

// New returns a registry with the Go runtime, process and build-info
// collectors and the request, query and command instruments. A nil log
// discards scrape errors.
func New(log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onit_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "onit_http_request_duration_seconds",
			Help:    "Time from receiving a request to its last byte written, by route template and method.",
			Buckets: httpBuckets,
		}, []string{"route", "method"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "onit_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "onit_db_query_duration_seconds",
			Help:    "Latency of MySQL statements seen by the app (the app-side ReadLatency/WriteLatency), by kind.",
			Buckets: queryBuckets,
		}, []string{"kind"}),
		queryErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onit_db_query_errors_total",
			Help: "MySQL statements that failed (no rows is not a failure), by kind.",
		}, []string{"kind"}),
		redisDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "onit_redis_command_duration_seconds",
			Help:    "Latency of Redis round trips (a pipeline counts once), by command.",
			Buckets: redisBuckets,
		}, []string{"command"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onit_redis_command_errors_total",
			Help: "Redis round trips that failed (a miss is not a failure), by command.",
		}, []string{"command"}),
	}
	// Both query kinds exist from the start, so a dashboard's rate() has a
	// series to work on before the first write happens.
	for _, k := range []string{"read", "write"} {
		m.queryDuration.WithLabelValues(k)
		m.queryErrors.WithLabelValues(k)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		m.httpRequests, m.httpDuration, m.httpInFlight,
		m.queryDuration, m.queryErrors,
		m.redisDuration, m.redisErrors,
	)
	return m
}

// Registry is the registry, for adding collectors and for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Register adds collectors (pools, the MySQL server's status).
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// scrapeTimeout bounds one scrape; the MySQL status collector has its own,
// shorter, timeout inside it.
const scrapeTimeout = 10 * time.Second

// Handler serves the registry in Prometheus text format. At most two
// scrapes run at once: more would only queue behind the database status
// query. A collector that fails (MySQL down) drops its series and the rest
// are still served, with the failure counted in
// promhttp_metric_handler_errors_total.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg,
		MaxRequestsInFlight: 2,
		Timeout:             scrapeTimeout,
	})
}

// RequestStarted counts a request in flight until its ObserveRequest.
func (m *Metrics) RequestStarted() { m.httpInFlight.Inc() }

// ObserveRequest records one answered request (and ends its RequestStarted). route must be a route
// template or "unmatched"; method is folded into a fixed set.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	m.httpInFlight.Dec()
	method = knownMethod(method)
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// knownMethod keeps the method label bounded: any client can send
// "FROBNICATE".
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// ObserveQuery implements mysql.QueryObserver.
func (m *Metrics) ObserveQuery(kind string, d time.Duration, err error) {
	m.queryDuration.WithLabelValues(kind).Observe(d.Seconds())
	if err != nil {
		m.queryErrors.WithLabelValues(kind).Inc()
	}
}

// maxCommandLabel bounds a Redis command label; real command names are short.
const maxCommandLabel = 32

// ObserveCommand implements redisstore.Observer.
func (m *Metrics) ObserveCommand(name string, d time.Duration, err error) {
	if name == "" || len(name) > maxCommandLabel {
		name = "other"
	}
	m.redisDuration.WithLabelValues(name).Observe(d.Seconds())
	if err != nil {
		m.redisErrors.WithLabelValues(name).Inc()
	}
}
