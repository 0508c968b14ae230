package bootstrap_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/metrics"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

const metricsToken = "scrape-token-0123456789abcdef0123456789"

// series is one parsed line of the text format.
type series struct {
	name   string
	labels string // the {…} part, as printed
	value  float64
}

func parseMetrics(t *testing.T, body string) []series {
	t.Helper()
	var out []series
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unparsable line %q", line)
		}
		name, labels := line[:i], ""
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name, labels = name[:j], name[j:]
		}
		out = append(out, series{name, labels, v})
	}
	return out
}

// find returns the value of the first series called name whose labels
// contain every fragment (e.g. `route="/api/v1/me"`).
func find(all []series, name string, fragments ...string) (float64, bool) {
next:
	for _, s := range all {
		if s.name != name {
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(s.labels, f) {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// observed boots the app with a metrics token and installs its observers
// on the test's pool and Redis client: onittest hands the app a pool
// opened without the app's observer, so openDB's and newRedis's hooks do
// not run here.
func observed(t *testing.T, opts ...onittest.Option) *onittest.App {
	t.Helper()
	var m *metrics.Metrics
	opts = append([]onittest.Option{
		onittest.WithSettings(func(s *env.Settings) { s.Metrics.MetricsToken = metricsToken }),
		onittest.WithFx(fx.Populate(&m)),
	}, opts...)
	app := onittest.New(t, opts...)
	// WithQueryHook would return a copy; the hook must be on the very pool
	// the app holds.
	app.DB.AddQueryHook(mysql.NewQueryHook(nil, 0, m)) //nolint:staticcheck // see above
	app.Redis.AddHook(redisstore.NewHook(m))
	return app
}

func TestMetricsAfterTraffic(t *testing.T) {
	app := observed(t)
	token, _ := app.NewUser(t, "Ada Lovelace") // register (write), login (read + writes), Redis SET
	for range 3 {
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(token)...); r.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/me = %d", r.Status)
		}
	}
	// Sent around app.Do: the frontend's catch-all may answer it with HTML
	// that is not in the API document.
	req, _ := http.NewRequestWithContext(context.Background(), "GET", app.URL+"/no-such-page/12345", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	r := app.Do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+metricsToken)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	all := parseMetrics(t, string(r.Body))

	type want struct {
		name      string
		fragments []string
		min, max  float64
	}
	checks := []want{
		// Requests by route template, never the raw path.
		{"onit_http_requests_total", []string{`method="GET"`, `route="/api/v1/me"`, `status="200"`}, 3, 3},
		{"onit_http_requests_total", []string{`method="POST"`, `route="/api/v1/auth/register"`, `status="201"`}, 1, 1},
		{"onit_http_request_duration_seconds_bucket", []string{`route="/api/v1/me"`, `le="+Inf"`}, 3, 3},
		{"onit_http_request_duration_seconds_sum", []string{`route="/api/v1/me"`}, 1e-6, 30},
		{"onit_http_requests_in_flight", nil, 1, 1}, // this scrape
		// The database pool.
		{"go_sql_open_connections", []string{`db_name="onit"`}, 1, 8},
		{"go_sql_in_use_connections", []string{`db_name="onit"`}, 0, 8},
		{"go_sql_idle_connections", []string{`db_name="onit"`}, 0, 8},
		{"go_sql_wait_count_total", []string{`db_name="onit"`}, 0, 1e6},
		{"go_sql_wait_duration_seconds_total", []string{`db_name="onit"`}, 0, 1e6},
		// Query latency, split read/write.
		{"onit_db_query_duration_seconds_count", []string{`kind="read"`}, 1, 1e6},
		{"onit_db_query_duration_seconds_count", []string{`kind="write"`}, 1, 1e6},
		{"onit_db_query_duration_seconds_bucket", []string{`kind="read"`, `le="10"`}, 1, 1e6},
		// Redis commands and pool.
		{"onit_redis_command_duration_seconds_count", nil, 1, 1e6},
		{"onit_redis_pool_connections", []string{`state="total"`}, 1, 100},
		// Runtime and process.
		{"go_goroutines", nil, 1, 1e6},
		{"process_resident_memory_bytes", nil, 1, 1e12},
		{"process_cpu_seconds_total", nil, 0, 1e6},
	}
	if !mysqltest.Embedded(app.DB) {
		checks = append(checks,
			want{"mysql_up", nil, 1, 1},
			want{"mysql_global_status_threads_connected", nil, 1, 1e4},
			want{"mysql_global_variables_max_connections", nil, 1, 1e6},
			want{"mysql_global_status_buffer_pool_pages", []string{`state="total"`}, 1, 1e9},
			// 0 is possible: a fresh server may not have flushed a page yet.
			want{"mysql_global_status_innodb_data_writes", nil, 0, 1e12},
		)
	}
	for _, c := range checks {
		v, ok := find(all, c.name, c.fragments...)
		if !ok || v < c.min || v > c.max {
			t.Errorf("%s%v = %v (found %v), want in [%v, %v]", c.name, c.fragments, v, ok, c.min, c.max)
		}
	}
	// An unknown path is counted under a bounded label: "unmatched", or the
	// frontend's catch-all template when static files are served.
	unmatched, _ := find(all, "onit_http_requests_total", `route="unmatched"`)
	catchAll, _ := find(all, "onit_http_requests_total", `route="/*"`)
	if unmatched+catchAll < 1 {
		t.Error(`GET /no-such-page/12345 is counted neither as "unmatched" nor under "/*"`)
	}
	if _, ok := find(all, "onit_http_requests_total", "12345"); ok {
		t.Error("a raw path leaked into a route label")
	}
}

// The instance caches' series follow the caches: trusted once both feeds
// vouch, the session of a request counted, lapses a counter from zero.
func TestLocalCacheMetrics(t *testing.T) {
	app := observed(t)
	scrape := func() []series {
		t.Helper()
		r := app.Do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+metricsToken)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /metrics = %d", r.Status)
		}
		return parseMetrics(t, string(r.Body))
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if v, _ := find(scrape(), "onit_local_cache_trusted"); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("onit_local_cache_trusted never reached 1 while both feeds are up")
		}
	}
	token, _ := app.NewUser(t, "Ada Lovelace")
	var all []series
	// A lapse on a busy machine (a feed ran late) drops the copies: read
	// again after one.
	for try := 1; ; try++ {
		before, _ := find(scrape(), "onit_local_cache_lapses_total")
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(token)...); r.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/me = %d", r.Status)
		}
		all = scrape()
		if after, _ := find(all, "onit_local_cache_lapses_total"); after == before || try == 5 {
			break
		}
	}
	for _, c := range []struct {
		name     string
		fragment []string
		min, max float64
	}{
		{"onit_local_cache_entries", []string{`kind="sessions"`}, 1, 1e6},
		{"onit_local_cache_entries", []string{`kind="projects"`}, 0, 1e6},
		{"onit_local_cache_entries", []string{`kind="tasks"`}, 0, 1e6},
		// A busy machine may let a feed run late: a few lapses, not none.
		{"onit_local_cache_lapses_total", nil, 0, 1e6},
	} {
		if v, ok := find(all, c.name, c.fragment...); !ok || v < c.min || v > c.max {
			t.Errorf("%s%v = %v (found %v), want in [%v, %v]", c.name, c.fragment, v, ok, c.min, c.max)
		}
	}
}

func TestMetricsTokenRequired(t *testing.T) {
	app := observed(t)
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", []string{"Authorization", "Bearer " + metricsToken + "x"}, http.StatusUnauthorized},
		{"session token is not the metrics token", []string{"Authorization", "Bearer " + func() string { tok, _ := app.NewUser(t, "Bob"); return tok }()}, http.StatusUnauthorized},
		{"right token", []string{"Authorization", "Bearer " + metricsToken}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := app.Do(t, "GET", "/metrics", nil, tt.hdr...)
			if r.Status != tt.want {
				t.Fatalf("status = %d, want %d", r.Status, tt.want)
			}
			if tt.want == http.StatusUnauthorized && strings.Contains(string(r.Body), "go_goroutines") {
				t.Error("metrics leaked in a 401")
			}
		})
	}
}

func TestMetricsOnSeparateListener(t *testing.T) {
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) { s.Metrics.MetricsAddr = "127.0.0.1:0" }))
	if r := app.Do(t, "GET", "/metrics", nil); r.Status != http.StatusNotFound {
		t.Errorf("API port /metrics = %d, want 404 when ONIT_METRICS_ADDR is set", r.Status)
	}
	addr := app.Server.MetricsAddr()
	if addr == nil {
		t.Fatal("no metrics listener")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr.String()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("metrics listener: %d %.300s", resp.StatusCode, body)
	}
}

// The headers `onit check --deploy` expects are what the server sends with
// production security settings, through the whole wiring.
func TestProductionSecurityHeaders(t *testing.T) {
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		sec := env.Defaults(env.Production).Security
		sec.SecretKey = s.Security.SecretKey
		sec.TrustedProxies = []string{"127.0.0.0/8", "::1"} // the test client is the proxy
		s.Security = sec
	}))
	r := app.Do(t, "GET", "/api/v1/auth/password-rules", nil, "X-Forwarded-Proto", "https")
	want := map[string]string{
		"Strict-Transport-Security":  "max-age=31536000; includeSubDomains; preload",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"X-Frame-Options":            "DENY",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r := app.Do(t, "GET", "/healthz", nil); r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
}
