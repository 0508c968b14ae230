package bootstrap

import (
	"runtime"
	"sync"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
)

// startProcs is GOMAXPROCS as the process started (the CPUs, or the
// container's CPU limit), before any raise below.
var startProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })

// reserveProcsForHashing gives the Go runtime one more P per password-hash
// slot when hashes run on niced threads. A running hash holds a P like any
// goroutine; on niced threads the kernel lets that thread wait when the
// machine is busy, and the P waits with it. With GOMAXPROCS at the CPU
// count, a login storm on 2 vCPUs would leave request goroutines one P;
// with one more per slot they keep a P per CPU, and the kernel, which
// knows the priorities, decides which thread yields. Idempotent: tests
// build many applications in one process.
func reserveProcsForHashing(t env.Throttle) {
	if t.HashNice <= 0 {
		return
	}
	if want := startProcs() + appaccounts.HashSlots(t.HashWorkers); runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}
