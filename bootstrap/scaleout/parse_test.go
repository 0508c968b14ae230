package scaleout

import (
	"testing"
	"time"
)

// The helpers that read servers' own reports run without the topology.

func TestMasterWithReplica(t *testing.T) {
	const (
		a = "a1 127.0.0.1:27401@37401 master - 0 0 1 connected 0-5460\n"
		b = "b2 127.0.0.1:27402@37402 myself,master - 0 0 2 connected 5461-10922\n"
		c = "c3 127.0.0.1:27403@37403 master - 0 0 3 connected 10923-16383\n"
		// Each replica follows the master of the previous port, as redis-cli
		// --cluster create pairs them.
		ra = "d4 127.0.0.1:27405@37405 slave a1 0 0 1 connected\n"
		rb = "e5 127.0.0.1:27406@37406 slave b2 0 0 2 connected\n"
		rc = "f6 127.0.0.1:27404@37404 slave c3 0 0 3 connected\n"
	)
	for _, tc := range []struct {
		name            string
		nodes           string
		master, replica int
		wantErr         bool
	}{
		{"all healthy: the lowest master", a + b + c + ra + rb + rc, 27401, 27405, false},
		{"failed master skipped", "a1 127.0.0.1:27401@37401 master,fail - 0 0 1 disconnected\n" + b + c + ra + rb + rc, 27402, 27406, false},
		{"suspected master skipped", "a1 127.0.0.1:27401@37401 master,fail? - 0 0 1 connected 0-5460\n" + b + c + ra + rb + rc, 27402, 27406, false},
		{"master without a replica skipped", a + b + c + rb + rc, 27402, 27406, false},
		{"failed replica does not count", a + "d4 127.0.0.1:27405@37405 slave,fail a1 0 0 1 disconnected\n" + c + rc, 27403, 27404, false},
		{"no replicas", a + b + c, 0, 0, true},
		{"garbage port", "a1 127.0.0.1:x@1 master - 0 0 1 connected\n", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, r, err := masterWithReplica(tc.nodes)
			if (err != nil) != tc.wantErr || m != tc.master || r != tc.replica {
				t.Errorf("masterWithReplica = %d, %d, %v; want %d, %d, error %v", m, r, err, tc.master, tc.replica, tc.wantErr)
			}
		})
	}
}

func TestCPUSampleSince(t *testing.T) {
	s0 := cpuSample{groups: map[string]time.Duration{"instances": time.Second, "primary": 0}, machine: 10 * time.Second}
	s1 := cpuSample{groups: map[string]time.Duration{"instances": 3 * time.Second, "primary": 500 * time.Millisecond, "loadgen": 500 * time.Millisecond},
		machine: 10*time.Second + 4*time.Second}
	perReq, stack, rest := s1.since(s0, 2*time.Second, 1000)
	if perReq != "2000 · 500 · 0 · 0 · 0 · 500" || stack != 1.5 || rest != 0.5 {
		t.Errorf("since = %q, %v, %v; want 2000 · 500 · 0 · 0 · 0 · 500, 1.5, 0.5", perReq, stack, rest)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999.4: "999", 999.6: "1,000", 4169.2: "4,169", 12345: "12,345", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}
