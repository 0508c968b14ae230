package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sampleReport is a fixed report: one scenario meeting its targets, one
// missing them, errors, a keyset comparison and a missing /metrics source.
func sampleReport() *Report {
	run := func(key, mode string, rps float64, p50, p99 time.Duration, errs map[string]int, appQ, appR *float64) Run {
		m := Mode{Name: mode}
		if mode == "rate" {
			m.Rate = 1000
		}
		n := 0
		for _, v := range errs {
			n += v
		}
		return Run{Scenario: key, Title: scenarioTitles[key], Mode: m,
			Summary: Summary{Requests: int(rps * 10), OK: int(rps*10) - n, Errors: n, ByStatus: errs, RPS: rps,
				P50: p50, P90: p50 * 2, P99: p99, Max: p99 * 3, Elapsed: 10 * time.Second},
			Usage:            Usage{AppQueriesPerReq: appQ, GlobalQueriesPerReq: ptr(0.5), AppRedisPerReq: appR, GlobalRedisPerReq: ptr(1.25)},
			PeakRSS:          42_500_000,
			GoroutinesBefore: ptr(20), GoroutinesAfter: ptr(21),
		}
	}
	ceiling := func(key string, rps float64) Run {
		return Run{Scenario: key, Title: ceilingTitles[key], Mode: Mode{Name: "max"},
			Summary: Summary{Requests: int(rps * 10), OK: int(rps * 10), ByStatus: map[string]int{}, RPS: rps,
				P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 5 * time.Millisecond, Max: 9 * time.Millisecond, Elapsed: 10 * time.Second},
			CPU: CPU{LoadGen: 0.5, Server: 0.75, Busy: 1.9},
		}
	}
	mix := run(scMix, "max", 9000, time.Millisecond, 30*time.Millisecond, map[string]int{}, ptr(0.5), ptr(0.1))
	mix.Usage.GlobalRedisPerReq = ptr(0.125)
	rep := &Report{
		Date:      time.Date(2026, 11, 26, 18, 20, 0, 0, time.UTC),
		Machine:   Machine{CPUs: 2, CPUModel: "Test CPU @ 2.0GHz", MemBytes: 8 << 30, OS: "linux/amd64", Kernel: "6.1.0"},
		GoVersion: "go1.26.8", MySQLVersion: "10.11.6-MariaDB", RedisVersion: "7.0.15",
		Command: "go tool task bench", Tasks: 1000, Duration: 10 * time.Second, Rate: 1000, Connections: 32,
		PasswordIterations: "870000 (production default)", SeedTime: 1500 * time.Millisecond,
		Ceilings: []Run{
			ceiling(ceilRedis, 20000), ceiling(ceilJSON, 40000), ceiling(ceilInsert, 4000),
		},
		Runs: []Run{
			run(scGetTask, "rate", 1000, 400*time.Microsecond, 2*time.Millisecond, map[string]int{}, ptr(0.0), ptr(1.0)),
			run(scGetTask, "max", 26000, 1200*time.Microsecond, 8*time.Millisecond, map[string]int{}, ptr(0.0), ptr(1.0)),
			run(scPostTask, "max", 2100, 12*time.Millisecond, 40*time.Millisecond, map[string]int{"503": 2, transportError: 1}, ptr(5.0), nil),
		},
		Keyset: &Keyset{Tasks: 100000, Limit: 50, DeepPage: 100, Pages: []Run{
			run(scListTasks, "max", 5000, 5*time.Millisecond, 15*time.Millisecond, map[string]int{}, ptr(1.0), ptr(1.0)),
			run(scListTasks, "max", 4900, 5100*time.Microsecond, 16*time.Millisecond, map[string]int{}, ptr(1.0), ptr(1.0)),
		}},
		PeakRSS: 130_000_000, StartupRSS: 130_000_000, LoadPeakRSS: 60_000_000,
		GoroutinesIdle: ptr(20), GoroutinesFinal: ptr(20), GoroutineSource: "go_goroutines from /metrics",
		Notes: []string{"A note."}, RedisPrivate: true, LoadAverage: "0.50 0.40 0.30",
		Storm: &Storm{Workers: stormWorkers,
			Baseline: run(scGetTask, "rate", 1000, 400*time.Microsecond, 2*time.Millisecond, map[string]int{}, ptr(0.0), ptr(0.0)),
			During:   run(scGetTask, "rate", 1000, 500*time.Microsecond, 7*time.Millisecond, map[string]int{}, ptr(0.0), ptr(0.0)),
			Logins:   Summary{Requests: 80, OK: 70, ByStatus: map[string]int{"503": 10}, Errors: 10, P50: 2 * time.Second, P99: 4 * time.Second, RPS: 8},
		},
	}
	rep.Runs = append(rep.Runs, mix)
	attachFractions(rep)
	return rep
}

func TestMarkdownGolden(t *testing.T) {
	rep := sampleReport()
	rep.Keyset.Pages[0].Title, rep.Keyset.Pages[1].Title = "task list page 1", "task list page 100"
	rep.Targets = evaluate(rep)
	got := markdown(rep)
	golden := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("markdown differs from %s (rerun with -update if intended):\n%s", golden, got)
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	verdicts := map[string]string{}
	for _, tg := range evaluate(rep) {
		verdicts[tg.Name] = tg.Status
	}
	tests := []struct {
		target string
		want   string
	}{
		{"GET one task vs one Redis GET + bytes", met},                             // 26,000 of 20,000
		{"GET task list (50) vs one keyset SELECT of 50 rows + JSON", notMeasured}, // no ceiling run
		{"POST a task vs one autocommit INSERT", missed},                           // 2,100 of 4,000
		{"GET /api/v1/me vs a JSON constant", notMeasured},
		{"GET one task p50", met},
		{"GET one task p99", met},
		{"POST a task p99", missed},
		{"errors in every scenario", missed},
		{"standard mix: Redis commands per 1,000 requests", met}, // 125
		{"standard mix: peak RSS", met},
		{"login storm: GET one task p99 during 64 logins", missed}, // 7 ms vs 2 ms
		{"server peak RSS (whole run, VmHWM)", missed},
		{"goroutines back to idle after the load", met},
		{"keyset pagination: page 100 costs what page 1 does", met},
		{"GET one task budget (warm cache)", missed}, // 1.25 Redis commands
		{"POST a task budget (warm cache)", missed},  // Redis falls back to the global count
		{"PATCH a task budget (warm cache)", notMeasured},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			if got, ok := verdicts[tt.target]; !ok || got != tt.want {
				t.Errorf("verdict = %q (present %v), want %q; all: %v", got, ok, tt.want, verdicts)
			}
		})
	}
}

func TestKeysetTarget(t *testing.T) {
	t.Parallel()
	page := func(rps float64, p50 time.Duration) Run {
		return Run{Summary: Summary{RPS: rps, P50: p50}}
	}
	tests := []struct {
		name string
		ks   *Keyset
		want string
	}{
		{"not run", nil, notMeasured},
		{"same cost", &Keyset{DeepPage: 100, Pages: []Run{page(5000, 4*time.Millisecond), page(4500, 4800*time.Microsecond)}}, met},
		{"deep page slower (OFFSET-like)", &Keyset{DeepPage: 100, Pages: []Run{page(5000, 4*time.Millisecond), page(1000, 20*time.Millisecond)}}, missed},
		{"sub-millisecond noise forgiven", &Keyset{DeepPage: 100, Pages: []Run{page(9000, 200*time.Microsecond), page(8800, 400*time.Microsecond)}}, met},
		{"too few tasks for page 100", &Keyset{DeepPage: 20, Tasks: 1000, Pages: []Run{page(5000, 4*time.Millisecond), page(5000, 4*time.Millisecond)}}, notMeasured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := keysetTarget(tt.ks); got.Status != tt.want {
				t.Errorf("keysetTarget = %+v, want status %q", got, tt.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, got, want string
	}{
		{"int small", fmtInt(7), "7"},
		{"int thousands", fmtInt(25000), "25,000"},
		{"int millions rounds", fmtInt(1234567.6), "1,234,568"},
		{"int exact three digits", fmtInt(100), "100"},
		{"ms", fmtMs(1500 * time.Microsecond), "1.50 ms"},
		{"MB", fmtMB(42_500_000), "42.5 MB"},
		{"MB unknown", fmtMB(0), "–"},
		{"per unknown", fmtPer(nil), "–"},
		{"errors none", fmtErrors(nil), "0"},
		{"errors most frequent first", fmtErrors(map[string]int{"503": 1, "412": 5, transportError: 1}), "412×5, 503×1, transport×1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestMarkdownShowsContextAndMisses(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	rep.Targets = evaluate(rep)
	md := markdown(rep)
	for _, want := range []string{
		"2026-11-26T18:20:00Z", "2 CPUs (Test CPU @ 2.0GHz)", "8.0 GiB RAM", "go1.26.8",
		"| POST a task vs one autocommit INSERT | ≥ 75 % of the ceiling | 2,100 of 4,000 req/s = 52 % | ❌ missed |",
		"| GET one task | max | 26,000 | 130 % of 20,000 |",
		"125 → fleet ceiling 8,000 req/s; MySQL statements per 1,000: 500",
		"0.50 / 0.75 / 1.90", "19 µs", "## Login storm (64 concurrent logins",
		"503×2, transport×1", "A note.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
