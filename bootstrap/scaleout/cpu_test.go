package scaleout

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// cpuGroups are the process groups the scaling table accounts for, in the
// order it prints them.
var cpuGroups = []string{"instances", "primary", "replica", "redis", "nginx", "loadgen"}

// processGroups maps each group to the processes topology.sh started for
// it (nginx's worker included), and the load generator to this process.
func (t *topology) processGroups() (map[string][]int, error) {
	data, err := os.ReadFile(t.pids)
	if err != nil {
		return nil, err
	}
	g := map[string][]int{"loadgen": {os.Getpid()}}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		p, name, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", t.pids, line, err)
		}
		switch {
		case strings.HasPrefix(name, "onit-"):
			g["instances"] = append(g["instances"], pid)
		case name == "mariadb-primary":
			g["primary"] = append(g["primary"], pid)
		case name == "mariadb-replica":
			g["replica"] = append(g["replica"], pid)
		case strings.HasPrefix(name, "redis-"):
			g["redis"] = append(g["redis"], pid)
		case name == "nginx":
			g["nginx"] = append(g["nginx"], pid)
		}
	}
	return g, nil
}

// cpuSample is each group's CPU time and the machine's busy time.
type cpuSample struct {
	groups map[string]time.Duration
	// machine is the busy time of every CPU, summed (/proc/stat).
	machine time.Duration
}

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

func sampleCPU(groups map[string][]int) (cpuSample, error) {
	s := cpuSample{groups: map[string]time.Duration{}}
	for g, pids := range groups {
		for _, pid := range pids {
			// nginx's master does little; its workers are its children.
			// A process that has gone (a killed server) counts nothing.
			for _, p := range append([]int{pid}, children(pid)...) {
				d, err := procCPU(p)
				if err == nil {
					s.groups[g] += d
				}
			}
		}
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/stat %q: %w", line, err)
		}
		if i < 8 { // guest time is already in user
			s.machine += time.Duration(n) * clockTick
		}
	}
	return s, nil
}

// procCPU is a process's user and system time so far.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields start after its ")".
	rest := string(data)[strings.LastIndexByte(string(data), ')')+2:]
	f := strings.Fields(rest) // state ppid … utime (index 11) stime (12)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, data)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, data)
	}
	return time.Duration(u+st) * clockTick, nil
}

// children lists a process's child processes.
func children(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// since is, between s0 and s (wall apart, ok requests answered), each
// group's CPU per request in µs ("a · b · …"), the cores all the groups
// used together, and the cores the rest of the machine used (other work
// on a shared machine).
func (s cpuSample) since(s0 cpuSample, wall time.Duration, ok int) (perReq string, stack, rest float64) {
	var parts []string
	var ours time.Duration
	for _, g := range cpuGroups {
		d := s.groups[g] - s0.groups[g]
		ours += d
		parts = append(parts, fmt.Sprintf("%.0f", float64(d.Microseconds())/float64(max(ok, 1))))
	}
	stack = ours.Seconds() / wall.Seconds()
	rest = max(0, (s.machine-s0.machine-ours).Seconds()/wall.Seconds())
	return strings.Join(parts, " · "), stack, rest
}

func cpuCount() int { return runtime.NumCPU() }
