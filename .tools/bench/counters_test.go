package main

import (
	"maps"
	"testing"
)

func TestCounterDelta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		before, after map[string]uint64
		want          map[string]uint64
	}{
		{"nil readings", nil, nil, map[string]uint64{}},
		{"increase", map[string]uint64{"Questions": 100}, map[string]uint64{"Questions": 250}, map[string]uint64{"Questions": 150}},
		{"unchanged is zero", map[string]uint64{"get": 5}, map[string]uint64{"get": 5}, map[string]uint64{"get": 0}},
		{"counter reset gives no delta", map[string]uint64{"Questions": 100}, map[string]uint64{"Questions": 3}, map[string]uint64{}},
		{"new name after gives no delta", map[string]uint64{}, map[string]uint64{"set": 9}, map[string]uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := counterDelta(tt.before, tt.after); !maps.Equal(got, tt.want) {
				t.Errorf("counterDelta = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseCommandstats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info string
		want map[string]uint64
	}{
		{"empty", "", map[string]uint64{}},
		{
			"redis 7 format with CRLF",
			"# Commandstats\r\n" +
				"cmdstat_get:calls=1200,usec=3000,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n" +
				"cmdstat_set:calls=30,usec=90,usec_per_call=3.00,rejected_calls=1,failed_calls=0\r\n" +
				"cmdstat_info:calls=4,usec=400,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r\n" +
				"cmdstat_client|setinfo:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n",
			map[string]uint64{"get": 1200, "set": 30, "info": 4, "client|setinfo": 2},
		},
		{
			"older format without rejected_calls; junk ignored",
			"cmdstat_del:calls=3,usec=9,usec_per_call=3.00\nnot a stat line\ncmdstat_bad:calls=x\n",
			map[string]uint64{"del": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseCommandstats(tt.info); !maps.Equal(got, tt.want) {
				t.Errorf("parseCommandstats = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSumCommandsLeavesOutTheHarness(t *testing.T) {
	t.Parallel()
	if got := sumCommands(map[string]uint64{"get": 10, "INFO": 3, "info": 2, "set": 5}); got != 15 {
		t.Errorf("sumCommands = %d, want 15 (INFO is the harness's own)", got)
	}
}

func TestPromSum(t *testing.T) {
	t.Parallel()
	text := `# HELP onit_db_query_duration_seconds Latency of MySQL statements.
# TYPE onit_db_query_duration_seconds histogram
onit_db_query_duration_seconds_bucket{kind="read",le="0.0005"} 10
onit_db_query_duration_seconds_sum{kind="read"} 0.5
onit_db_query_duration_seconds_count{kind="read"} 120
onit_db_query_duration_seconds_count{kind="write"} 30
onit_db_query_duration_seconds_count_extra 999
go_goroutines 42
go_goroutines_other 7
onit_redis_command_duration_seconds_count{command="get"} 1.5e+03
onit_redis_command_duration_seconds_count{command="weird}label"} 5
`
	tests := []struct {
		name   string
		metric string
		want   float64
		wantOK bool
	}{
		{"sums every label set, not longer names", "onit_db_query_duration_seconds_count", 150, true},
		{"unlabelled gauge", "go_goroutines", 42, true},
		{"exponent notation and a brace inside a label", "onit_redis_command_duration_seconds_count", 1505, true},
		{"absent", "onit_nothing", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := promSum(text, tt.metric)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("promSum(%s) = %v, %v; want %v, %v", tt.metric, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	before := Counters{
		MySQLStatus: map[string]uint64{"Questions": 1000, "Com_select": 500},
		RedisCalls:  map[string]uint64{"get": 100, "info": 10},
		AppQueries:  ptr(50.0), AppRedisTrips: ptr(20.0),
	}
	after := Counters{
		MySQLStatus: map[string]uint64{"Questions": 1201, "Com_select": 700},
		RedisCalls:  map[string]uint64{"get": 300, "info": 11, "set": 100},
		AppQueries:  ptr(250.0), AppRedisTrips: ptr(220.0),
	}
	tests := []struct {
		name                               string
		before, after                      Counters
		requests                           int
		self                               uint64
		wantAppQ, wantGlobQ, wantAppR, wGR *float64
	}{
		// Redis: 200 GETs and 100 SETs (first called during the run, so
		// absent before it) in 100 requests; INFO is the harness's own.
		{"all sources", before, after, 100, 1, ptr(2.0), ptr(2.0), ptr(2.0), ptr(3.0)},
		{"no /metrics", Counters{MySQLStatus: before.MySQLStatus, RedisCalls: before.RedisCalls},
			Counters{MySQLStatus: after.MySQLStatus, RedisCalls: after.RedisCalls}, 100, 1, nil, ptr(2.0), nil, ptr(3.0)},
		{"self cost larger than the delta floors at zero", before, Counters{MySQLStatus: map[string]uint64{"Questions": 1000}}, 10, 5, nil, ptr(0.0), nil, nil},
		{"no requests", before, after, 0, 1, nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := usage(tt.before, tt.after, tt.requests, tt.self)
			for _, c := range []struct {
				what      string
				got, want *float64
			}{
				{"app queries", u.AppQueriesPerReq, tt.wantAppQ},
				{"global queries", u.GlobalQueriesPerReq, tt.wantGlobQ},
				{"app redis", u.AppRedisPerReq, tt.wantAppR},
				{"global redis", u.GlobalRedisPerReq, tt.wGR},
			} {
				if (c.got == nil) != (c.want == nil) || (c.got != nil && *c.got != *c.want) {
					t.Errorf("%s per request = %v, want %v", c.what, deref(c.got), deref(c.want))
				}
			}
		})
	}
}

// TestCommandDeltaCountsFirstCalls: a command first called during a run
// is absent from the reading before it, and all its calls are the run's.
func TestCommandDeltaCountsFirstCalls(t *testing.T) {
	t.Parallel()
	got := commandDelta(map[string]uint64{"info": 3, "ping": 10}, map[string]uint64{"info": 4, "ping": 12, "get": 500})
	want := map[string]uint64{"info": 1, "ping": 2, "get": 500}
	if len(got) != len(want) {
		t.Fatalf("commandDelta = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d, want %d", k, got[k], v)
		}
	}
	if d := commandDelta(map[string]uint64{"get": 9}, map[string]uint64{"get": 2}); d["get"] != 0 || len(d) != 0 {
		t.Errorf("a counter that went backwards (restart) = %v, want no delta", d)
	}
}
