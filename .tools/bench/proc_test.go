package main

import "testing"

func TestParseProcStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want procStatus
	}{
		{"empty", "", procStatus{}},
		{
			"linux status excerpt",
			"Name:\tonit\nVmPeak:\t 1300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\nSigQ:\t0/95000\n",
			procStatus{RSS: 40960 * 1024, HWM: 51200 * 1024, Threads: 9},
		},
		{"garbage values ignored", "VmRSS:\tlots kB\nVmHWM:\n", procStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseProcStatus(tt.text); got != tt.want {
				t.Errorf("parseProcStatus = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMachineFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cpuinfo   string
		meminfo   string
		wantModel string
		wantMem   uint64
	}{
		{"empty", "", "", "unknown", 0},
		{
			"x86",
			"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.10GHz\nprocessor\t: 1\nmodel name\t: other\n",
			"MemTotal:       24684544 kB\nMemFree:        1 kB\n",
			"Intel(R) Xeon(R) Processor @ 2.10GHz", 24684544 * 1024,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseCPUModel(tt.cpuinfo); got != tt.wantModel {
				t.Errorf("parseCPUModel = %q, want %q", got, tt.wantModel)
			}
			if got := parseMemTotal(tt.meminfo); got != tt.wantMem {
				t.Errorf("parseMemTotal = %d, want %d", got, tt.wantMem)
			}
		})
	}
}
