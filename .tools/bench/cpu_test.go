package main

import (
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want time.Duration
		ok   bool
	}{
		// utime 250 + stime 50 ticks = 3 s.
		{"plain", "1234 (onit) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0", 3 * time.Second, true},
		{"name with spaces and parens", "1234 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 100 0 0 0 20 0 1 0 1 0 0", time.Second, true},
		{"truncated", "1234 (onit) S 1 2", 0, false},
		{"no name", "garbage", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseProcStatCPU(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseProcStatCPU = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseMachineBusy(t *testing.T) {
	t.Parallel()
	// user 100, nice 10, system 40, idle 1000, iowait 500 (not busy), irq 5,
	// softirq 5, steal 40: 200 busy ticks = 2 s.
	got, ok := parseMachineBusy("cpu  100 10 40 1000 500 5 5 40 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
	if !ok || got != 2*time.Second {
		t.Errorf("parseMachineBusy = %v, %v; want 2s", got, ok)
	}
	if _, ok := parseMachineBusy("intr 1 2 3\n"); ok {
		t.Error("a text without the cpu line parsed")
	}
}

func TestCPUSince(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(100, 0)
	a := cpuSnap{at: t0, self: time.Second, server: 2 * time.Second, busy: 10 * time.Second, okSelf: true, okProc: true, okStat: true}
	b := cpuSnap{at: t0.Add(2 * time.Second), self: 2 * time.Second, server: 4 * time.Second, busy: 13 * time.Second, okSelf: true, okProc: true, okStat: true}
	if got, want := cpuSince(a, b), (CPU{LoadGen: 0.5, Server: 1, Busy: 1.5}); got != want {
		t.Errorf("cpuSince = %+v, want %+v", got, want)
	}
	b.okProc = false
	if got := cpuSince(a, b); got.Server != 0 || got.LoadGen != 0.5 {
		t.Errorf("a missing server reading = %+v, want server 0 and the rest kept", got)
	}
}

// TestMixProportions pins the standard mix of issue 11: 80 % GET one task,
// 10 % list, 5 % POST, 5 % PATCH.
func TestMixProportions(t *testing.T) {
	t.Parallel()
	n := map[string]int{}
	for _, k := range mixSlots {
		n[k]++
	}
	want := map[string]int{scGetTask: 16, scListTasks: 2, scPostTask: 1, scPatchTask: 1}
	for k, v := range want {
		if n[k] != v {
			t.Errorf("%s: %d of %d slots, want %d", k, n[k], len(mixSlots), v)
		}
	}
}

func TestAttachFractions(t *testing.T) {
	t.Parallel()
	rep := &Report{
		Ceilings: []Run{{Scenario: ceilJSON, Summary: Summary{RPS: 40000}}},
		Runs: []Run{
			{Scenario: scGetTask, Mode: Mode{Name: "max"}, Summary: Summary{RPS: 10000}}, // Redis ceiling missing: falls back to JSON
			{Scenario: scGetMe, Mode: Mode{Name: "rate", Rate: 1000}, Summary: Summary{RPS: 1000}},
			{Scenario: scMix, Mode: Mode{Name: "max"}, Summary: Summary{RPS: 5000}},
		},
	}
	attachFractions(rep)
	if r := rep.Runs[0]; r.Ceiling != ceilJSON || r.Fraction != 0.25 || r.CeilingRPS != 40000 {
		t.Errorf("GET one task = %s %v of %v, want json_constant 0.25 of 40000", r.Ceiling, r.Fraction, r.CeilingRPS)
	}
	if r := rep.Runs[1]; r.Ceiling != "" {
		t.Errorf("a fixed-rate run got a fraction: %+v", r)
	}
	if r := rep.Runs[2]; r.Ceiling != "" {
		t.Errorf("the mix got a fraction: %+v", r)
	}
}

func TestStormTarget(t *testing.T) {
	t.Parallel()
	run := func(p99 time.Duration, errs int) Run {
		return Run{Summary: Summary{Requests: 100, Errors: errs, P99: p99, ByStatus: map[string]int{}}}
	}
	tests := []struct {
		name string
		st   *Storm
		want string
	}{
		{"not run", nil, notMeasured},
		{"within 3×", &Storm{Baseline: run(2*time.Millisecond, 0), During: run(6*time.Millisecond, 0)}, met},
		{"over 3×", &Storm{Baseline: run(2*time.Millisecond, 0), During: run(7*time.Millisecond, 0)}, missed},
		{"errors on the GETs", &Storm{Baseline: run(2*time.Millisecond, 0), During: run(2*time.Millisecond, 1)}, missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := stormTarget(tt.st); got.Status != tt.want {
				t.Errorf("stormTarget = %+v, want %q", got, tt.want)
			}
		})
	}
}
