package cli

import (
	"testing"
	"time"
)

// calm is a quiet db.t4g.micro, one second apart.
func calm() (prev, cur ServerStatus) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	prev = ServerStatus{At: t0, Status: map[string]float64{
		"innodb_data_reads": 1000, "innodb_data_writes": 2000, "bytes_received": 1e6, "bytes_sent": 2e6,
		"innodb_buffer_pool_read_requests": 1e6, "innodb_buffer_pool_reads": 100, "innodb_buffer_pool_wait_free": 0,
		"slow_queries": 3, "questions": 500,
	}, Variables: map[string]float64{"max_connections": 85}}
	cur = ServerStatus{At: t0.Add(time.Second), Status: map[string]float64{
		"threads_running": 2, "threads_connected": 20, "max_used_connections": 30,
		"innodb_data_pending_reads": 0, "innodb_data_pending_writes": 1,
		"innodb_data_reads": 1010, "innodb_data_writes": 2020, "bytes_received": 1.1e6, "bytes_sent": 2.2e6,
		"innodb_buffer_pool_pages_free": 100, "innodb_buffer_pool_pages_total": 8192,
		"innodb_buffer_pool_read_requests": 1.01e6, "innodb_buffer_pool_reads": 101, "innodb_buffer_pool_wait_free": 0,
		"slow_queries": 3, "questions": 600,
	}, Variables: map[string]float64{"max_connections": 85}}
	return prev, cur
}

var microOpts = dbstatsOptions{VCPUs: 2, IOPS: 3000, NetworkMbit: 64, PoolBudget: 40, ServerBudget: 60}

func TestEvaluateDB(t *testing.T) {
	tests := []struct {
		signal string
		edit   func(prev, cur *ServerStatus, rtt *time.Duration, o *dbstatsOptions)
	}{
		{"threads running", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) { c.Status["threads_running"] = 4 }},
		{"connections", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["threads_connected"] = 70
		}},
		{"connections peak", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["max_used_connections"] = 85
		}},
		{"Onit's pool budget", func(_, _ *ServerStatus, _ *time.Duration, o *dbstatsOptions) { o.PoolBudget = 80 }},
		{"disk queue depth", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["innodb_data_pending_reads"] = 3
		}},
		{"IOPS", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["innodb_data_writes"] = 2000 + 2600
		}},
		{"network", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["bytes_sent"] = 2e6 + 7e6
		}},
		{"buffer pool", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["innodb_buffer_pool_reads"] = 100 + 500 // 5 % misses
		}},
		{"buffer pool", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) {
			c.Status["innodb_buffer_pool_wait_free"] = 1
		}},
		{"slow queries", func(_, c *ServerStatus, _ *time.Duration, _ *dbstatsOptions) { c.Status["slow_queries"] = 4 }},
		{"round trip", func(_, _ *ServerStatus, rtt *time.Duration, _ *dbstatsOptions) { *rtt = 20 * time.Millisecond }},
	}
	verdicts := func(sigs []dbSignal) map[string]string {
		out := map[string]string{}
		for _, s := range sigs {
			if out[s.Name] != verdictWarn {
				out[s.Name] = s.Verdict
			}
		}
		return out
	}
	prev, cur := calm()
	base := verdicts(evaluateDB(prev, cur, time.Millisecond, microOpts))
	for name, v := range base {
		if v == verdictWarn {
			t.Errorf("calm server: %s is WARN", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			prev, cur := calm()
			rtt, o := time.Millisecond, microOpts
			tt.edit(&prev, &cur, &rtt, &o)
			got := verdicts(evaluateDB(prev, cur, rtt, o))
			for name, v := range got {
				want := base[name]
				if name == tt.signal {
					want = verdictWarn
				}
				if v != want {
					t.Errorf("%s = %s, want %s", name, v, want)
				}
			}
		})
	}
}

func TestEvaluateDBMissingData(t *testing.T) {
	now := time.Now()
	sigs := evaluateDB(ServerStatus{At: now}, ServerStatus{At: now.Add(time.Second)}, 0, microOpts)
	for _, s := range sigs {
		if s.Verdict != verdictNone || s.Value != "n/a" {
			t.Errorf("%s without data: %q %s, want n/a and no verdict", s.Name, s.Value, s.Verdict)
		}
	}
}
