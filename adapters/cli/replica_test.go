package cli

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReplicaSignal(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       ReplicaReading
		value    string
		wantWarn bool
	}{
		{"within the threshold", ReplicaReading{Configured: true, Lag: time.Second, MaxLag: 2 * time.Second}, "1s", false},
		{"lagging", ReplicaReading{Configured: true, Lag: 5 * time.Second, MaxLag: 2 * time.Second}, "5s", true},
		{"down", ReplicaReading{Configured: true, MaxLag: 2 * time.Second, Err: errors.New("connection refused")}, "unavailable: connection refused", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := replicaSignal(tt.in)
			if s.Value != tt.value || (s.Verdict == verdict(true)) != tt.wantWarn || !strings.Contains(s.Concern, "2s") {
				t.Errorf("replicaSignal = %+v", s)
			}
		})
	}
}
