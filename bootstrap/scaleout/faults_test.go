package scaleout

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// faulted is set once a fault test has broken a server of the topology,
// so the scaling measurement refuses to run on what is left.
var faulted bool

// loadWorkers is the concurrency of the load during the faults: enough
// to keep every instance busy, little enough for a shared 2-vCPU machine.
const loadWorkers = 8

// A Redis master is killed in the middle of the standard mix through the
// load balancer: its replica takes over (cluster-node-timeout 2 s) and
// not one request fails in the meantime, because every call on the
// request path has a 150 ms budget and a breaker, past which MySQL
// answers.
func TestRedisMasterKilledUnderLoad(t *testing.T) {
	tp := need(t)
	victim, replica, err := redisMasterWithReplica(tp.redis)
	if err != nil {
		t.Fatal(err)
	}
	lb := newAPI(tp.lb, "load balancer")
	f := seed(t, lb, 100)
	faulted = true
	load := startMix(lb, f, loadWorkers)
	time.Sleep(2 * time.Second)
	before := load.okSoFar()
	if err := tp.kill("redis-" + strconv.Itoa(victim)); err != nil {
		load.finish()
		t.Fatal(err)
	}
	killed := time.Now()
	// The replica is promoted once the other masters have marked the
	// master failed (cluster-node-timeout 2 s, then an election).
	promoted := false
	for time.Since(killed) < 20*time.Second {
		if out, err := redisCLI(replica, "role"); err == nil && strings.HasPrefix(out, "master") {
			promoted = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	failover := time.Since(killed)
	time.Sleep(2 * time.Second) // the load goes on against the new master
	// By now every instance sends the failed master's slots to the
	// promoted replica: Redis calls under the load stop failing.
	errorsNow := func() float64 {
		var n float64
		for i := range tp.ports {
			n += tp.instance(i+1).metric(t, tp.metrics, "onit_redis_command_errors_total")
		}
		return n
	}
	e0 := errorsNow()
	time.Sleep(time.Second)
	newErrors := errorsNow() - e0
	during := load.okSoFar() - before
	load.finish()
	s := load.stats()
	t.Logf("master :%d killed; replica :%d promoted after %v; %d requests answered (%d after the kill), %d failed; p50 %v, p99 %v",
		victim, replica, failover.Round(time.Millisecond), s.ok, during, s.failed, s.p50, s.p99)
	if !promoted {
		t.Errorf("the replica :%d was not promoted within 20 s of killing its master :%d", replica, victim)
	}
	if s.failed > 0 {
		t.Errorf("%d requests failed while the Redis master was killed and replaced: %v", s.failed, s.examples)
	}
	if during < 50 {
		t.Errorf("only %d requests answered after the kill: the load stalled, or proved nothing", during)
	}
	if newErrors > 0 {
		t.Errorf("%v Redis calls failed in a second under load, 2 s after the promotion: an instance still sends commands to the dead master", newErrors)
	}
	// Readiness: an ALB takes an instance out after two failed probes in a
	// row, so every probe must pass once the cluster has failed over.
	for i := range tp.ports {
		failed := 0
		var last result
		for range 20 {
			if r := tp.instance(i+1).call("GET", "/readyz", nil); r.err != nil || r.status != http.StatusOK {
				failed, last = failed+1, r
			}
		}
		if failed > 0 {
			t.Errorf("instance %d: %d of 20 /readyz probes failed after the failover: %v", i+1, failed, last)
		}
	}
}

// redisMasterWithReplica finds a master among the cluster's nodes and the
// port of a replica following it.
func redisMasterWithReplica(ports []int) (master, replica int, err error) {
	out, err := redisCLI(ports[0], "cluster", "nodes")
	if err != nil {
		return 0, 0, fmt.Errorf("cluster nodes: %w: %s", err, out)
	}
	return masterWithReplica(out)
}

// masterWithReplica reads CLUSTER NODES output ("id host:port@bus flags
// master-id …" a line) for a healthy master and a healthy replica of it,
// the master on the lowest port (the same choice every run).
func masterWithReplica(nodes string) (master, replica int, err error) {
	ids := map[string]int{}     // node ID → port
	follows := map[int]string{} // healthy replica's port → its master's ID
	var masters []int
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		_, p, _ := strings.Cut(addr, ":")
		port, err := strconv.Atoi(p)
		if err != nil {
			return 0, 0, fmt.Errorf("cluster nodes line %q: %w", line, err)
		}
		ids[f[0]] = port
		if strings.Contains(f[2], "fail") { // fail and fail?
			continue
		}
		switch {
		case strings.Contains(f[2], "master"):
			masters = append(masters, port)
		case strings.Contains(f[2], "slave"):
			follows[port] = f[3]
		}
	}
	slices.Sort(masters)
	for _, m := range masters {
		var reps []int
		for r, id := range follows {
			if ids[id] == m {
				reps = append(reps, r)
			}
		}
		if len(reps) > 0 {
			return m, slices.Min(reps), nil
		}
	}
	return 0, 0, fmt.Errorf("no healthy master with a healthy replica in:\n%s", nodes)
}

// The replica is killed in the middle of the standard mix: lists it was
// serving go to the primary and not one request fails; /readyz stays 200
// and reports it down.
func TestReplicaStoppedUnderLoad(t *testing.T) {
	tp := need(t)
	for i := range tp.ports {
		r := tp.instance(i+1).call("GET", "/readyz", nil)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"mysql_replica":"ok`) {
			t.Fatalf("instance %d does not use the replica before the test: %v", i+1, r)
		}
	}
	lb := newAPI(tp.lb, "load balancer")
	f := seed(t, lb, 100)
	replicaReads := func() float64 {
		var n float64
		for i := range tp.ports {
			n += tp.instance(i+1).metric(t, tp.metrics, "onit_db_lag_tolerant_reads_total", `pool="replica"`)
		}
		return n
	}
	atStart := replicaReads()
	faulted = true
	load := startMix(lb, f, loadWorkers)
	time.Sleep(2 * time.Second)
	if replicaReads() == atStart {
		load.finish()
		t.Fatal("no list of the load was served by the replica: stopping it would prove nothing")
	}
	before := load.okSoFar()
	if err := tp.kill("mariadb-replica"); err != nil {
		load.finish()
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	during := load.okSoFar() - before
	load.finish()
	s := load.stats()
	t.Logf("replica killed; %d requests answered (%d after the kill), %d failed; p50 %v, p99 %v", s.ok, during, s.failed, s.p50, s.p99)
	if s.failed > 0 {
		t.Errorf("%d requests failed with the replica gone: %v", s.failed, s.examples)
	}
	if during < 50 {
		t.Errorf("only %d requests answered after the kill: the load stalled, or proved nothing", during)
	}
	for i := range tp.ports {
		a := tp.instance(i + 1)
		deadline := time.Now().Add(5 * time.Second)
		for {
			r := a.call("GET", "/readyz", nil)
			if r.status == http.StatusOK && strings.Contains(string(r.body), `"mysql_replica":"down`) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("instance %d: /readyz 5 s after the replica died: %v", i+1, r)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
