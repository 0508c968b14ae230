package bootstrap

import (
	"runtime"
	"testing"

	"github.com/onitapp/onit/env"
)

// Hashes on niced threads get a P each on top of the CPUs, once however
// many applications are built; hashes on the caller's thread get none.
func TestReserveProcsForHashing(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	base := startProcs()
	tests := []struct {
		name     string
		throttle env.Throttle
		want     int
	}{
		{"not niced", env.Throttle{HashNice: 0, HashWorkers: 3}, base},
		{"niced, one slot", env.Throttle{HashNice: 10, HashWorkers: 1}, base + 1},
		{"niced, three slots", env.Throttle{HashNice: 10, HashWorkers: 3}, base + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(base)
			for range 3 { // one application after another in one process
				reserveProcsForHashing(tt.throttle)
			}
			if got := runtime.GOMAXPROCS(0); got != tt.want {
				t.Errorf("GOMAXPROCS = %d, want %d (started at %d)", got, tt.want, base)
			}
		})
	}
}
