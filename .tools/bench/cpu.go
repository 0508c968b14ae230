package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// the harness runs on (glibc's sysconf(_SC_CLK_TCK) reads the same value).
const clockTicks = 100

// CPU is where the machine's CPU time went during one run, in cores
// (CPU seconds per wall second; the machine has Machine.CPUs of them).
type CPU struct {
	LoadGen float64 `json:"load_generator_cores"` // this harness (vegeta and its bookkeeping)
	Server  float64 `json:"server_cores"`         // the measured process (Onit or the ceiling program)
	Busy    float64 `json:"machine_busy_cores"`   // every process: the rest is MariaDB, Redis and other users
}

// cpuSnap is one reading of the three clocks.
type cpuSnap struct {
	at     time.Time
	self   time.Duration
	server time.Duration
	busy   time.Duration
	okProc bool
	okStat bool
	okSelf bool
}

func takeCPU(pid int) cpuSnap {
	s := cpuSnap{at: time.Now()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.okSelf = true
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if d, ok := parseProcStatCPU(string(b)); ok {
			s.server, s.okProc = d, true
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		if d, ok := parseMachineBusy(string(b)); ok {
			s.busy, s.okStat = d, true
		}
	}
	return s
}

// cpuSince turns two readings into cores used in between.
func cpuSince(a, b cpuSnap) CPU {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return CPU{}
	}
	var c CPU
	if a.okSelf && b.okSelf {
		c.LoadGen = (b.self - a.self).Seconds() / wall
	}
	if a.okProc && b.okProc {
		c.Server = (b.server - a.server).Seconds() / wall
	}
	if a.okStat && b.okStat {
		c.Busy = (b.busy - a.busy).Seconds() / wall
	}
	return c
}

// parseProcStatCPU reads utime+stime of a /proc/<pid>/stat line. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStatCPU(line string) (time.Duration, bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(line[i+1:])
	// After the name: state(3) … utime(14) stime(15), so indexes 11 and 12.
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return ticks(u + s), true
}

// parseMachineBusy reads the machine's busy time from /proc/stat's "cpu"
// line: everything but idle and iowait.
func parseMachineBusy(text string) (time.Duration, bool) {
	line, _, _ := strings.Cut(text, "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal (guest time is
	// already inside user).
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, false
		}
		if i == 3 || i == 4 {
			continue
		}
		busy += n
	}
	return ticks(busy), true
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// loadAverage is the first field of /proc/loadavg: what the machine was
// already doing when the bench started.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
