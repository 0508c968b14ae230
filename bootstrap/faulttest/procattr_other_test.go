//go:build !linux

package faulttest

import "syscall"

// childAttr has no parent-death signal to ask for outside Linux; the
// tests' cleanups kill the services.
func childAttr() *syscall.SysProcAttr { return nil }
