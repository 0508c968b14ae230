package metrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// Globals reads the MySQL server's global status counters and variables
// by name (adapters/mysql.Server does, without counting as application
// queries). Names come back lower case; missing ones are absent.
type Globals interface {
	Globals(ctx context.Context, status, variables []string) (st, vars map[string]float64, err error)
}

// ServerStatus is one reading of the server's SHOW GLOBAL STATUS and SHOW
// GLOBAL VARIABLES, restricted to the names Onit watches. Names are lower
// case (threads_running); a name the server lacks is absent.
type ServerStatus struct {
	At        time.Time
	Status    map[string]float64
	Variables map[string]float64
}

// serverSeries maps status variables to mysqld_exporter's names, so
// dashboards and alerts written for it work unchanged. Counters keep the
// exporter's names without _total for the same reason.
var serverSeries = []struct {
	variable string
	typ      prometheus.ValueType
	help     string
}{
	{"threads_running", prometheus.GaugeValue, "Threads executing a statement now (CPU pressure)."},
	{"threads_connected", prometheus.GaugeValue, "Open client connections; compare with mysql_global_variables_max_connections."},
	{"max_used_connections", prometheus.GaugeValue, "Most connections open at once since the server started."},
	{"innodb_data_pending_reads", prometheus.GaugeValue, "InnoDB reads waiting for the disk (with pending writes: the disk queue depth)."},
	{"innodb_data_pending_writes", prometheus.GaugeValue, "InnoDB writes waiting for the disk."},
	{"innodb_data_reads", prometheus.CounterValue, "InnoDB data reads from disk (rate: read IOPS)."},
	{"innodb_data_writes", prometheus.CounterValue, "InnoDB data writes to disk (rate: write IOPS)."},
	{"bytes_received", prometheus.CounterValue, "Bytes received from clients (rate: network in)."},
	{"bytes_sent", prometheus.CounterValue, "Bytes sent to clients (rate: network out)."},
	{"slow_queries", prometheus.CounterValue, "Statements slower than long_query_time."},
	{"questions", prometheus.CounterValue, "Statements sent by clients (rate: queries per second)."},
	{"innodb_buffer_pool_reads", prometheus.CounterValue, "Buffer pool misses that had to read from disk."},
	{"innodb_buffer_pool_read_requests", prometheus.CounterValue, "Logical reads from the buffer pool."},
	{"innodb_buffer_pool_wait_free", prometheus.CounterValue, "Waits for a free buffer pool page (memory pressure)."},
	{"uptime", prometheus.GaugeValue, "Seconds since the server started."},
}

// bufferPoolStates become mysql_global_status_buffer_pool_pages{state=…}
// as mysqld_exporter exports them. It files Innodb_buffer_pool_pages_total
// under buffer_pool_page_changes_total, which is not a change count; here
// it is state="total", beside free, so free/total is one division.
var bufferPoolStates = []string{"free", "data", "dirty", "total"}

var serverVariables = []struct{ variable, help string }{
	{"max_connections", "The server's connection limit (db.t4g.micro: about 60-85)."},
	{"innodb_buffer_pool_size", "InnoDB buffer pool size in bytes."},
}

// StatusNames are the status counters Onit watches (SHOW GLOBAL STATUS).
func StatusNames() []string {
	out := make([]string, 0, len(serverSeries)+len(bufferPoolStates))
	for _, s := range serverSeries {
		out = append(out, s.variable)
	}
	for _, st := range bufferPoolStates {
		out = append(out, "innodb_buffer_pool_pages_"+st)
	}
	return out
}

// VariableNames are the server settings Onit watches (SHOW GLOBAL VARIABLES).
func VariableNames() []string {
	out := make([]string, 0, len(serverVariables))
	for _, v := range serverVariables {
		out = append(out, v.variable)
	}
	return out
}

// ReadServerStatus reads the watched status counters and variables.
func ReadServerStatus(ctx context.Context, g Globals) (ServerStatus, error) {
	at := time.Now()
	st, vars, err := g.Globals(ctx, StatusNames(), VariableNames())
	if err != nil {
		return ServerStatus{}, fmt.Errorf("metrics: read server status: %w", err)
	}
	return ServerStatus{At: at, Status: st, Variables: vars}, nil
}

// ServerCollector exports the MySQL server's own signals, the ones that
// approximate the RDS CloudWatch metrics from inside (threads, connections,
// pending I/O, IOPS, network bytes, buffer pool, slow queries), plus
// mysql_up. Readings are cached for a TTL and concurrent scrapes share one
// query (singleflight), so any number of scrapers costs the database at
// most two cheap statements per TTL. Failures are cached too: a struggling
// server is not hammered by retries.
type ServerCollector struct {
	q       Globals
	ttl     time.Duration
	timeout time.Duration
	group   singleflight.Group
	queries atomic.Int64

	mu      sync.Mutex
	last    ServerStatus
	lastErr error
	fetched time.Time

	up        *prometheus.Desc
	status    map[string]*prometheus.Desc
	pages     *prometheus.Desc
	variables map[string]*prometheus.Desc
}

// statusTimeout bounds one reading; a scrape must not hang on a stuck server.
const statusTimeout = 3 * time.Second

// NewServerCollector reads through q at most once per ttl.
func NewServerCollector(q Globals, ttl time.Duration) *ServerCollector {
	c := &ServerCollector{
		q: q, ttl: ttl, timeout: statusTimeout,
		up:        prometheus.NewDesc("mysql_up", "Whether the last reading of the MySQL server's status succeeded.", nil, nil),
		status:    map[string]*prometheus.Desc{},
		pages:     prometheus.NewDesc("mysql_global_status_buffer_pool_pages", "InnoDB buffer pool pages by state.", []string{"state"}, nil),
		variables: map[string]*prometheus.Desc{},
	}
	for _, s := range serverSeries {
		c.status[s.variable] = prometheus.NewDesc("mysql_global_status_"+s.variable, s.help, nil, nil)
	}
	for _, v := range serverVariables {
		c.variables[v.variable] = prometheus.NewDesc("mysql_global_variables_"+v.variable, v.help, nil, nil)
	}
	return c
}

// Read returns the cached reading, refreshing it when older than the TTL.
func (c *ServerCollector) Read(ctx context.Context) (ServerStatus, error) {
	c.mu.Lock()
	if !c.fetched.IsZero() && time.Since(c.fetched) < c.ttl {
		st, err := c.last, c.lastErr
		c.mu.Unlock()
		return st, err
	}
	c.mu.Unlock()
	ch := c.group.DoChan("status", func() (any, error) {
		// Detached from any one caller: the reading is shared.
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		c.queries.Add(1)
		st, err := ReadServerStatus(ctx, c.q)
		c.mu.Lock()
		c.last, c.lastErr, c.fetched = st, err, time.Now()
		c.mu.Unlock()
		return st, err
	})
	select {
	case r := <-ch:
		st, _ := r.Val.(ServerStatus)
		return st, r.Err
	case <-ctx.Done():
		return ServerStatus{}, ctx.Err()
	}
}

// Queries is how many readings went to the server, for tests of the cache.
func (c *ServerCollector) Queries() int64 { return c.queries.Load() }

// Describe implements prometheus.Collector.
func (c *ServerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.pages
	for _, d := range c.status {
		ch <- d
	}
	for _, d := range c.variables {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A failed reading exports
// mysql_up 0 and nothing else, rather than failing the whole scrape.
func (c *ServerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	st, err := c.Read(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, s := range serverSeries {
		if v, ok := st.Status[s.variable]; ok {
			ch <- prometheus.MustNewConstMetric(c.status[s.variable], s.typ, v)
		}
	}
	for _, state := range bufferPoolStates {
		if v, ok := st.Status["innodb_buffer_pool_pages_"+state]; ok {
			ch <- prometheus.MustNewConstMetric(c.pages, prometheus.GaugeValue, v, state)
		}
	}
	for _, v := range serverVariables {
		if x, ok := st.Variables[v.variable]; ok {
			ch <- prometheus.MustNewConstMetric(c.variables[v.variable], prometheus.GaugeValue, x)
		}
	}
}
