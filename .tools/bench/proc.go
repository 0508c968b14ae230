package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procStatus is what the harness reads from /proc/<pid>/status.
type procStatus struct {
	RSS     uint64 // VmRSS, bytes
	HWM     uint64 // VmHWM (peak RSS over the process's life), bytes
	Threads int
}

// parseProcStatus reads the memory lines ("VmRSS:	  12345 kB") and the
// thread count of a /proc/<pid>/status text.
func parseProcStatus(text string) procStatus {
	var st procStatus
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		unit := uint64(1)
		if len(fields) > 1 && strings.EqualFold(fields[1], "kB") {
			unit = 1024
		}
		switch key {
		case "VmRSS":
			st.RSS = n * unit
		case "VmHWM":
			st.HWM = n * unit
		case "Threads":
			st.Threads = int(n)
		}
	}
	return st
}

func readProcStatus(pid int) (procStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, err
	}
	return parseProcStatus(string(b)), nil
}

// rssSampler samples the server's RSS every interval so each run knows its
// own peak; VmHWM alone only gives the peak since the process started.
type rssSampler struct {
	pid      int
	mu       sync.Mutex
	peak     uint64 // highest VmRSS since the last reset
	allPeak  uint64 // highest VmRSS since sampling began
	lastHWM  uint64
	interval time.Duration
}

// run samples until ctx ends. Reading /proc is a few microseconds, so
// 50 ms costs the measured machine nothing noticeable.
func (s *rssSampler) run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *rssSampler) sample() {
	st, err := readProcStatus(s.pid)
	if err != nil {
		return // the process is gone; the last values stand
	}
	s.mu.Lock()
	s.peak = max(s.peak, st.RSS)
	s.allPeak = max(s.allPeak, st.RSS)
	s.lastHWM = max(s.lastHWM, st.HWM)
	s.mu.Unlock()
}

// takePeak returns the peak RSS since the last call and starts a new window.
func (s *rssSampler) takePeak() uint64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peak
	s.peak = 0
	return p
}

// hwm is VmHWM: the exact peak over the process's whole life.
func (s *rssSampler) hwm() uint64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastHWM
}

// sampledPeak is the highest VmRSS seen since sampling began.
func (s *rssSampler) sampledPeak() uint64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allPeak
}

// Machine describes where the numbers were taken; they mean little without it.
type Machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	MemBytes uint64 `json:"memory_bytes"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel,omitempty"`
}

// parseCPUModel returns the first "model name" of /proc/cpuinfo.
func parseCPUModel(cpuinfo string) string {
	sc := bufio.NewScanner(strings.NewReader(cpuinfo))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// parseMemTotal returns MemTotal of /proc/meminfo in bytes.
func parseMemTotal(meminfo string) uint64 {
	sc := bufio.NewScanner(strings.NewReader(meminfo))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

func readMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), CPUModel: "unknown", OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = parseCPUModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemBytes = parseMemTotal(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
