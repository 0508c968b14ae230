package djangohash

import (
	"runtime"
	"syscall"
	"testing"
)

// The hash's thread is niced and the caller's is not: a login storm yields
// to the threads serving other requests, and nothing else is slowed down
// by a thread the hash left behind.
func TestHashesRunOnALowerPriorityThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := syscall.Gettid()
	base, err := threadNice(caller)
	if err != nil {
		t.Fatal(err)
	}
	if base > 19-5 {
		t.Skipf("the test runs at nice %d: no room to lower it by 5", base)
	}
	for _, tc := range []struct {
		niceness, want int
	}{
		{0, base},
		{5, base + 5},
		{40, 19},
	} {
		h := New(1000)
		h.SetThreadNiceness(tc.niceness)
		var got, tid int
		h.onLowPriorityThread(func() {
			tid = syscall.Gettid()
			got, err = threadNice(tid)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("niceness %d: the hash ran at nice %d, want %d", tc.niceness, got, tc.want)
		}
		if tc.niceness > 0 && tid == caller {
			t.Errorf("niceness %d: the hash ran on the caller's thread", tc.niceness)
		}
		if now, _ := threadNice(caller); now != base {
			t.Errorf("niceness %d: the caller's thread is now at nice %d, was %d", tc.niceness, now, base)
		}
	}
}

func TestLowPriorityHashesStillHashAndPanicOnTheCaller(t *testing.T) {
	h := New(1000)
	h.SetThreadNiceness(10)
	enc, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Verify("correct horse", enc); !ok {
		t.Error("a niced hasher does not verify its own hash")
	}
	if ok, _ := h.Verify("wrong horse", enc); ok {
		t.Error("a niced hasher accepts a wrong password")
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the hash's panic on the caller", p)
		}
	}()
	h.onLowPriorityThread(func() { panic("boom") })
}
