package djangohash

import "syscall"

// lowerThreadPriority lowers the calling thread's priority by n nice
// steps from the process's own (at most to 19). On Linux PRIO_PROCESS with
// a thread ID applies to that thread alone (setpriority(2), "Bugs"), which
// is what makes a per-thread niceness possible. Lowering priority needs no
// privilege; should it fail anyway the hash runs at the normal priority,
// which is only slower for everyone else.
func lowerThreadPriority(n int) {
	tid := syscall.Gettid()
	cur, err := threadNice(tid)
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(cur+n, 19))
}

// threadNice is the thread's nice value. The raw getpriority system call,
// which package syscall returns unchanged, answers 20 - nice so that it is
// never negative.
func threadNice(tid int) (int, error) {
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	return 20 - raw, err
}
