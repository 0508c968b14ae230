package djangohash

import "runtime"

// SetThreadNiceness makes every hash and verification run on an OS thread
// of its own, n nice steps below the process's priority (1–19; 0 runs them
// on the caller's thread). A login's 870,000 PBKDF2 iterations keep a core busy
// for a third of a second: at the default priority a login storm competes
// on equal terms with the threads serving every other request, MySQL's and
// Redis's included, and on 2 vCPUs their tail latency pays for it. A
// niced thread still gets an idle core at full speed; it only yields first
// when the machine is busy. Call it before the hasher is used. Where the
// system cannot lower a thread's priority (not Linux) it has no effect.
func (h *Hasher) SetThreadNiceness(n int) { h.niceness = min(max(n, 0), 19) }

// onLowPriorityThread runs fn on a fresh OS thread h.niceness steps down, or in
// place when niceness is 0. The goroutine keeps its thread locked and
// exits, so the runtime ends the thread with it and its lowered priority
// never reaches other goroutines; a thread costs tens of microseconds
// against a hash's hundreds of milliseconds. A panic in fn is raised again
// on the caller's goroutine, where the request's recovery handles it.
func (h *Hasher) onLowPriorityThread(fn func()) {
	if h.niceness == 0 {
		fn()
		return
	}
	done := make(chan any, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must die with this goroutine
		defer func() { done <- recover() }()
		lowerThreadPriority(h.niceness)
		fn()
	}()
	if p := <-done; p != nil {
		panic(p)
	}
}
