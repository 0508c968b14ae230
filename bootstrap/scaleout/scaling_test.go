package scaleout

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scalingWorkers is the load's concurrency for the scaling table: the
// bench harness's 32 connections.
const scalingWorkers = 32

// TestScalingTable measures the standard mix through the load balancer
// over 1, 2 and 3 instances (and back, 3, 2, 1, so a drift of the shared
// machine's load shows), and where the CPU went in each run: the
// instances, MariaDB (primary and replica), the Redis nodes, nginx, the
// load generator (this test process) and everything else on the machine.
// It prints a Markdown table for the README.
func TestScalingTable(t *testing.T) {
	tp := need(t)
	if os.Getenv("ONIT_SCALEOUT_SCALING") != "1" {
		t.Skip("set ONIT_SCALEOUT_SCALING=1 to measure the scaling table (go tool task bench:scaleout)")
	}
	if faulted {
		t.Skip("a fault test broke a server of this topology; run the table alone: go tool task bench:scaleout")
	}
	dur := 10 * time.Second
	if s := os.Getenv("ONIT_SCALEOUT_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ONIT_SCALEOUT_SECONDS=%q: want a number of seconds", s)
		}
		dur = time.Duration(n) * time.Second
	}
	lb := newAPI(tp.lb, "load balancer")
	f := seed(t, lb, 1000)
	groups, err := tp.processGroups()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, n := range []int{1, 2, 3, 3, 2, 1} {
		if err := tp.sh(time.Minute, "lb", strconv.Itoa(n)); err != nil {
			t.Fatalf("topology.sh lb %d: %v", n, err)
		}
		waitForUpstreams(t, lb, tp.ports[:n])
		warm := startMix(lb, f, scalingWorkers)
		time.Sleep(2 * time.Second)
		warm.finish()

		before, err := sampleCPU(groups)
		if err != nil {
			t.Fatal(err)
		}
		q0, qerr := tp.questions()
		c0, cerr := tp.redisCommands()
		if qerr != nil || cerr != nil {
			t.Fatal(qerr, cerr)
		}
		start := time.Now()
		load := startMix(lb, f, scalingWorkers)
		time.Sleep(dur)
		load.finish()
		wall := time.Since(start)
		after, err := sampleCPU(groups)
		if err != nil {
			t.Fatal(err)
		}
		q1, qerr := tp.questions()
		c1, cerr := tp.redisCommands()
		if qerr != nil || cerr != nil {
			t.Fatal(qerr, cerr)
		}
		s := load.stats()
		if s.failed > 0 {
			t.Errorf("%d instances: %d requests failed: %v", n, s.failed, s.examples)
		}
		perReq, stackCores, rest := after.since(before, wall, s.ok)
		row := fmt.Sprintf("| %d | %s | %v / %v | %s | %.2f | %.2f | %.2f / %.2f |", n, thousands(float64(s.ok)/wall.Seconds()),
			s.p50.Round(100*time.Microsecond), s.p99.Round(100*time.Microsecond), perReq, stackCores, rest,
			float64(q1-q0)/float64(s.ok), float64(c1-c0)/float64(s.ok))
		t.Log(row)
		rows = append(rows, row)
	}
	t.Logf("standard mix through nginx, %d workers, %v a run, %s:\n"+
		"| instances | req/s | p50 / p99 | CPU µs per request: instances · MariaDB primary · replica · Redis · nginx · load generator | cores used by the topology and load (of %d) | cores used by the rest of the machine | MySQL statements / Redis commands per request |\n"+
		"|--:|--:|--:|---|--:|--:|--:|\n%s", scalingWorkers, dur, time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpuCount(), strings.Join(rows, "\n"))
}

// waitForUpstreams waits until the load balancer, reloaded, sends
// requests to exactly the instances on ports.
func waitForUpstreams(t *testing.T, lb *api, ports []int) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range ports {
		want["127.0.0.1:"+strconv.Itoa(p)] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		seen, stray := map[string]bool{}, false
		for range 10 * len(ports) {
			r := lb.call("GET", "/readyz", nil)
			if r.status != http.StatusOK {
				continue
			}
			up := r.header.Get("X-Onit-Upstream")
			seen[up] = true
			stray = stray || !want[up]
		}
		if !stray && len(seen) == len(want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the load balancer does not spread over exactly %v", ports)
}

// thousands formats v with a thousands separator, as the README does.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
