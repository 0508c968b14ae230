package faulttest

import "syscall"

// childAttr makes the kernel kill a service when the test process dies
// (a timeout, a crash), so no private server outlives the run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
