package scaleout

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// instances is how many Onit instances the suite starts: the issue's
// "two or three", three so that a change made on one is checked on two
// others.
const instances = 3

// topo is the running topology, nil when the suite is skipped.
var topo *topology

// skipReason says why the suite does not run, or is empty.
var skipReason = "set ONIT_TEST_SCALEOUT=1 to run the scale-out suite (go tool task test:scaleout)"

// topology is what `topology.sh env` reports about a running topology.
type topology struct {
	script  string // topology.sh
	env     []string
	lb      string // the load balancer's base URL
	ports   []int  // each instance's port, instance i+1 at ports[i]
	redis   []int  // every Redis node's port
	pids    string // topology.sh's record of the processes it started
	primary string // the MariaDB primary's socket
	metrics string // the instances' metrics token
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run brings the topology up, runs the tests and brings it down, also on
// a failed test or an interrupt. (A panic or -timeout ends the process
// without deferred calls: `go tool task test:scaleout` runs
// `topology.sh down` afterwards for those.)
func run(m *testing.M) int {
	if os.Getenv("ONIT_TEST_SCALEOUT") != "1" {
		return m.Run()
	}
	skipReason = ""
	_, here, _, _ := runtime.Caller(0)
	t := &topology{script: filepath.Join(filepath.Dir(here), "topology.sh")}
	dir := os.Getenv("SCALEOUT_DIR")
	if dir == "" {
		// A fresh directory of its own, so two runs never share one.
		d, err := os.MkdirTemp("", "onit-scaleout-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "scaleout:", err)
			return 1
		}
		dir = filepath.Join(d, "topology")
		defer os.RemoveAll(d)
	}
	t.env = append(os.Environ(), "SCALEOUT_DIR="+dir)
	if os.Getenv("SCALEOUT_BASE_PORT") == "" {
		t.env = append(t.env, "SCALEOUT_BASE_PORT=27400")
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		t.down()
		os.Exit(1)
	}()

	start := time.Now()
	if err := t.sh(10*time.Minute, "up", strconv.Itoa(instances)); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout: topology.sh up:", err)
		t.down()
		return 1
	}
	fmt.Fprintf(os.Stderr, "scaleout: topology up in %v\n", time.Since(start).Round(time.Second))
	defer t.down()
	if err := t.readEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		return 1
	}
	topo = t
	return m.Run()
}

// need skips the test unless the topology runs, and returns it.
func need(t *testing.T) *topology {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	if topo == nil {
		t.Fatal("the topology is not up")
	}
	return topo
}

// sh runs topology.sh with args, its output going to the test's stderr.
func (t *topology) sh(limit time.Duration, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{t.script}, args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = t.env, os.Stderr, os.Stderr
	return cmd.Run()
}

func (t *topology) down() {
	if err := t.sh(time.Minute, "down"); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout: topology.sh down:", err)
	}
}

func (t *topology) readEnv() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", t.script, "env")
	cmd.Env = t.env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("topology.sh env: %w", err)
	}
	ints := func(s string) ([]int, error) {
		var v []int
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("topology.sh env: port %q: %w", f, err)
			}
			v = append(v, n)
		}
		return v, nil
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "SCALEOUT_LB":
			t.lb = v
		case "SCALEOUT_INSTANCE_PORTS":
			t.ports, err = ints(v)
		case "SCALEOUT_REDIS_PORTS":
			t.redis, err = ints(v)
		case "SCALEOUT_PRIMARY_SOCKET":
			t.primary = v
		case "SCALEOUT_PIDS":
			t.pids = v
		case "SCALEOUT_METRICS_TOKEN":
			t.metrics = v
		}
		if err != nil {
			return err
		}
	}
	if len(t.ports) != instances || len(t.redis) != 6 || t.lb == "" {
		return fmt.Errorf("topology.sh env: unexpected answer:\n%s", out)
	}
	return nil
}

// instance is a client of instance i (1-based), bypassing the load
// balancer.
func (t *topology) instance(i int) *api {
	return newAPI(fmt.Sprintf("http://127.0.0.1:%d", t.ports[i-1]), fmt.Sprintf("instance %d", i))
}

// all is a client of every instance directly, then of the load balancer.
func (t *topology) all() []*api {
	var out []*api
	for i := range t.ports {
		out = append(out, t.instance(i+1))
	}
	return append(out, newAPI(t.lb, "load balancer"))
}

// pid is the process topology.sh recorded under name (redis-27401,
// mariadb-replica, onit-1, nginx).
func (t *topology) pid(name string) (int, error) {
	f, err := os.Open(t.pids)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pid, n, _ := strings.Cut(sc.Text(), " ")
		if n == name {
			return strconv.Atoi(pid)
		}
	}
	return 0, fmt.Errorf("no process %q in %s", name, t.pids)
}

// kill sends SIGKILL to the process topology.sh started as name: the
// harshest way a server goes (a node replaced, an instance lost).
func (t *topology) kill(name string) error {
	pid, err := t.pid(name)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s (%d): %w", name, pid, err)
	}
	return nil
}

// redisCLI runs redis-cli against the node on port.
func redisCLI(port int, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...).CombinedOutput()
	return string(out), err
}

// questions is the primary's count of statements so far (the Questions
// status variable), read over its socket as root.
func (t *topology) questions() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mariadb", "--socket="+t.primary, "-uroot", "-N", "-B", "-e",
		"SHOW GLOBAL STATUS LIKE 'Questions'").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("mariadb: Questions: %w: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, fmt.Errorf("mariadb: Questions: %q", out)
	}
	return strconv.ParseInt(f[1], 10, 64)
}

// redisCommands is the commands the cluster's masters have run so far
// (INFO commandstats, summed), which is what ElastiCache bills; a
// replica's count would repeat its master's writes.
func (t *topology) redisCommands() (int64, error) {
	var sum int64
	for _, p := range t.redis {
		if role, err := redisCLI(p, "role"); err != nil || !strings.HasPrefix(role, "master") {
			continue
		}
		out, err := redisCLI(p, "info", "commandstats")
		if err != nil {
			return 0, fmt.Errorf("redis :%d: %w: %s", p, err, out)
		}
		for _, line := range strings.Split(out, "\n") {
			_, rest, ok := strings.Cut(line, "calls=")
			if !ok {
				continue
			}
			n, _, _ := strings.Cut(rest, ",")
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("redis :%d: %q: %w", p, line, err)
			}
			sum += v
		}
	}
	return sum, nil
}
