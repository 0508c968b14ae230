package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/metrics"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
)

// sample finds the series name{labels} in g and returns its value: the
// value of a counter, gauge or untyped metric, the count of a histogram.
func sample(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

func TestObservations(t *testing.T) {
	m := metrics.New(nil)
	m.RequestStarted()
	m.ObserveRequest("/api/v1/tasks/:id", "GET", 200, 3*time.Millisecond)
	m.RequestStarted()
	m.ObserveRequest("/api/v1/tasks/:id", "GET", 200, 4*time.Millisecond)
	m.RequestStarted()
	m.ObserveRequest("unmatched", "FROBNICATE", 404, time.Millisecond)
	m.ObserveQuery("read", 2*time.Millisecond, nil)
	m.ObserveQuery("write", 5*time.Millisecond, errors.New("deadlock"))
	m.ObserveCommand("get", time.Millisecond, nil)
	m.ObserveCommand("pipeline", time.Millisecond, errors.New("timeout"))
	m.ObserveCommand(strings.Repeat("x", 100), time.Millisecond, nil)

	reg := m.Registry()
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"onit_http_requests_total", map[string]string{"route": "/api/v1/tasks/:id", "method": "GET", "status": "200"}, 2},
		{"onit_http_requests_total", map[string]string{"route": "unmatched", "method": "OTHER", "status": "404"}, 1},
		{"onit_http_request_duration_seconds", map[string]string{"route": "/api/v1/tasks/:id", "method": "GET"}, 2},
		{"onit_http_requests_in_flight", nil, 0},
		{"onit_db_query_duration_seconds", map[string]string{"kind": "read"}, 1},
		{"onit_db_query_duration_seconds", map[string]string{"kind": "write"}, 1},
		{"onit_db_query_errors_total", map[string]string{"kind": "read"}, 0},
		{"onit_db_query_errors_total", map[string]string{"kind": "write"}, 1},
		{"onit_redis_command_duration_seconds", map[string]string{"command": "get"}, 1},
		{"onit_redis_command_errors_total", map[string]string{"command": "pipeline"}, 1},
		{"onit_redis_command_duration_seconds", map[string]string{"command": "other"}, 1},
	}
	for _, tt := range tests {
		got, ok := sample(t, reg, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes", "go_build_info"} {
		if _, ok := sample(t, reg, name, nil); !ok {
			t.Errorf("%s missing: runtime and process collectors not registered", name)
		}
	}
}

func TestHandlerServesTextFormat(t *testing.T) {
	m := metrics.New(nil)
	m.ObserveQuery("read", time.Millisecond, nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	if !strings.Contains(body, `onit_db_query_duration_seconds_bucket{kind="read",le="0.001"} 1`) {
		t.Errorf("histogram bucket missing:\n%.2000s", body)
	}
}

type fakePool struct{ stats redis.PoolStats }

func (f fakePool) PoolStats() *redis.PoolStats { return &f.stats }

func TestRedisPoolCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.RedisPoolCollector(fakePool{redis.PoolStats{
		Hits: 7, Misses: 2, Timeouts: 1, WaitCount: 3, WaitDurationNs: 1.5e9, TotalConns: 5, IdleConns: 4, PendingRequests: 1,
	}}))
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"onit_redis_pool_connections", map[string]string{"state": "total"}, 5},
		{"onit_redis_pool_connections", map[string]string{"state": "idle"}, 4},
		{"onit_redis_pool_hits_total", nil, 7},
		{"onit_redis_pool_misses_total", nil, 2},
		{"onit_redis_pool_timeouts_total", nil, 1},
		{"onit_redis_pool_waits_total", nil, 3},
		{"onit_redis_pool_wait_seconds_total", nil, 1.5},
		{"onit_redis_pool_pending_requests", nil, 1},
	} {
		if got, ok := sample(t, reg, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

func TestDBPoolCollector(t *testing.T) {
	db := mysqltest.New(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.DBPoolCollector(db.DB, "onit"))
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
		if _, ok := sample(t, reg, name, map[string]string{"db_name": "onit"}); !ok {
			t.Errorf("%s missing", name)
		}
	}
	if open, _ := sample(t, reg, "go_sql_open_connections", nil); open < 1 {
		t.Errorf("open connections = %v after a ping, want ≥ 1", open)
	}
}

func TestServerCollector(t *testing.T) {
	db := mysqltest.New(t)
	if mysqltest.Embedded(db) {
		t.Skip("the embedded engine has no SHOW GLOBAL STATUS counters; run with ONIT_TEST_MYSQL_DSN")
	}
	c := metrics.NewServerCollector(mysql.NewServer(db), time.Hour)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)

	if up, _ := sample(t, reg, "mysql_up", nil); up != 1 {
		t.Fatalf("mysql_up = %v, want 1", up)
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"mysql_global_status_threads_running", nil, 1}, // this scrape's own statement runs
		{"mysql_global_status_threads_connected", nil, 1},
		{"mysql_global_variables_max_connections", nil, 1},
		{"mysql_global_status_innodb_data_pending_reads", nil, 0},
		{"mysql_global_status_innodb_data_pending_writes", nil, 0},
		{"mysql_global_status_innodb_data_reads", nil, 0},
		// Physical writes may all still sit in the buffer pool on a freshly
		// started server, so only presence is certain.
		{"mysql_global_status_innodb_data_writes", nil, 0},
		{"mysql_global_status_bytes_received", nil, 1},
		{"mysql_global_status_bytes_sent", nil, 1},
		{"mysql_global_status_slow_queries", nil, 0},
		{"mysql_global_status_buffer_pool_pages", map[string]string{"state": "free"}, 0},
		{"mysql_global_status_buffer_pool_pages", map[string]string{"state": "total"}, 1},
	} {
		got, ok := sample(t, reg, tt.name, tt.labels)
		if !ok || got < tt.min {
			t.Errorf("%s%v = %v (found %v), want ≥ %v", tt.name, tt.labels, got, ok, tt.min)
		}
	}
	free, _ := sample(t, reg, "mysql_global_status_buffer_pool_pages", map[string]string{"state": "free"})
	total, _ := sample(t, reg, "mysql_global_status_buffer_pool_pages", map[string]string{"state": "total"})
	if free > total {
		t.Errorf("free pages %v > total %v", free, total)
	}

	// Many concurrent scrapes within the TTL cost one reading.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { _, _ = reg.Gather() })
	}
	wg.Wait()
	if n := c.Queries(); n != 1 {
		t.Errorf("server read %d times for 11 scrapes within the TTL, want 1", n)
	}
}

func TestServerCollectorRefreshesAfterTTL(t *testing.T) {
	db := mysqltest.New(t)
	if mysqltest.Embedded(db) {
		t.Skip("the embedded engine has no SHOW GLOBAL STATUS counters; run with ONIT_TEST_MYSQL_DSN")
	}
	c := metrics.NewServerCollector(mysql.NewServer(db), 50*time.Millisecond)
	ctx := context.Background()
	if _, err := c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.Queries(); n != 2 {
		t.Errorf("reads = %d, want 2 (one per TTL)", n)
	}
}

// downServer fails every reading, like an unreachable server.
type downServer struct{}

func (downServer) Globals(context.Context, []string, []string) (map[string]float64, map[string]float64, error) {
	return nil, nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
}

func TestServerCollectorDown(t *testing.T) {
	c := metrics.NewServerCollector(downServer{}, time.Hour)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("a down server must not fail the scrape: %v", err)
	}
	if len(fams) != 1 || fams[0].GetName() != "mysql_up" || value(fams[0].GetMetric()[0]) != 0 {
		t.Errorf("want only mysql_up 0, got %v", fams)
	}
	// The failure is cached too: a struggling server is not retried per scrape.
	_, _ = reg.Gather()
	if n := c.Queries(); n != 1 {
		t.Errorf("reads = %d, want 1", n)
	}
}

type fakeGate struct {
	trusted bool
	lapses  uint64
}

func (g fakeGate) Trusted() bool  { return g.trusted }
func (g fakeGate) Lapses() uint64 { return g.lapses }

func TestLocalCacheCollector(t *testing.T) {
	for _, tt := range []struct {
		name   string
		gate   fakeGate
		labels map[string]string
		want   float64
	}{
		{"onit_local_cache_trusted", fakeGate{trusted: true}, nil, 1},
		{"onit_local_cache_trusted", fakeGate{}, nil, 0},
		{"onit_local_cache_lapses_total", fakeGate{lapses: 3}, nil, 3},
		{"onit_local_cache_entries", fakeGate{}, map[string]string{"kind": "sessions"}, 11},
		{"onit_local_cache_entries", fakeGate{}, map[string]string{"kind": "projects"}, 12},
		{"onit_local_cache_entries", fakeGate{}, map[string]string{"kind": "tasks"}, 13},
	} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.LocalCacheCollector(tt.gate, func() (int, int, int) { return 11, 12, 13 }))
		if got, ok := sample(t, reg, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v with %+v = %v (found %v), want %v", tt.name, tt.labels, tt.gate, got, ok, tt.want)
		}
	}
}
