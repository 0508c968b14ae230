package mysql_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/ports"
)

// recordingSink remembers what an invalidation feed told it.
type recordingSink struct {
	mu        sync.Mutex
	sessions  []string
	users     []int64
	objects   []ports.Invalidation // the projects and tasks of each delivery
	trusted   time.Time
	resets    int
	distrusts int
}

func (s *recordingSink) Invalidate(inv ports.Invalidation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = append(s.sessions, inv.Sessions...)
	s.users = append(s.users, inv.Users...)
	if len(inv.Projects)+len(inv.Tasks) > 0 {
		s.objects = append(s.objects, ports.Invalidation{Projects: inv.Projects, Tasks: inv.Tasks})
	}
}
func (s *recordingSink) Reset() { s.mu.Lock(); s.resets++; s.mu.Unlock() }
func (s *recordingSink) Trust(until time.Time) {
	s.mu.Lock()
	s.trusted = until
	s.mu.Unlock()
}
func (s *recordingSink) Distrust() {
	s.mu.Lock()
	s.distrusts++
	s.trusted = time.Time{}
	s.mu.Unlock()
}

func (s *recordingSink) state() (sessions []string, users []int64, trusted time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sessions), slices.Clone(s.users), s.trusted
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func TestInvalidationLogDeliversToEveryInstance(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	ctx := context.Background()
	var a, b recordingSink
	logA := adapter.NewInvalidationLog(db, &a, adapter.InvalidationOptions{PollEvery: 50 * time.Millisecond}, nil)
	logB := adapter.NewInvalidationLog(db, &b, adapter.InvalidationOptions{PollEvery: 50 * time.Millisecond}, nil)
	logA.Start()
	logB.Start()
	t.Cleanup(func() { _ = logA.Stop(ctx); _ = logB.Stop(ctx) })

	if !waitFor(t, 5*time.Second, func() bool { _, _, tr := b.state(); return time.Now().Before(tr) }) {
		t.Fatal("instance B never trusted its cache")
	}
	hashes := make([]string, 700) // more than one INSERT's batch
	for i := range hashes {
		hashes[i] = string(rune('a'+i%26)) + time.Now().Format("150405.000000000") + string(rune('a'+i/26%26))
	}
	sent := time.Now()
	if err := logA.Publish(ctx, ports.Invalidation{Sessions: hashes, Users: []int64{7, 8}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !waitFor(t, 2*time.Second, func() bool { s, u, _ := b.state(); return len(s) == len(hashes) && len(u) == 2 }) {
		s, u, _ := b.state()
		t.Fatalf("instance B heard %d sessions and %d users, want %d and 2", len(s), len(u), len(hashes))
	}
	t.Logf("delivered to the other instance in %v", time.Since(sent).Round(time.Millisecond))
	// Later reads look back over the same rows and must not deliver them twice.
	time.Sleep(300 * time.Millisecond)
	s, u, _ := b.state()
	slices.Sort(s)
	if len(s) != len(hashes) || len(slices.Compact(s)) != len(hashes) || !slices.Equal(u, []int64{7, 8}) {
		t.Fatalf("instance B heard %d sessions (%d distinct) and users %v; want each once", len(s), len(slices.Compact(s)), u)
	}
	if _, _, tr := a.state(); tr.Before(time.Now()) {
		t.Error("instance A's trust was not extended")
	}

	// Writes of projects and tasks travel the same log, versions included.
	objects := ports.Invalidation{Projects: []ports.ObjectVersion{{ID: 11, Version: 4}},
		Tasks: []ports.ObjectVersion{{ID: 12, Version: 7}, {ID: 13, Version: ports.Deleted}}}
	if err := logA.Publish(ctx, objects); err != nil {
		t.Fatalf("Publish objects: %v", err)
	}
	got := func() []ports.Invalidation { b.mu.Lock(); defer b.mu.Unlock(); return slices.Clone(b.objects) }
	if !waitFor(t, 2*time.Second, func() bool { return len(got()) > 0 }) {
		t.Fatal("instance B never heard of the written objects")
	}
	time.Sleep(200 * time.Millisecond) // a second delivery would show now
	if o := got(); len(o) != 1 || !slices.Equal(o[0].Projects, objects.Projects) || !slices.Equal(o[0].Tasks, objects.Tasks) {
		t.Errorf("instance B heard %+v, want %+v once", o, objects)
	}
}

func TestInvalidationLogUnreadableDistrusts(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	ctx := context.Background()
	var sink recordingSink
	l := adapter.NewInvalidationLog(db, &sink, adapter.InvalidationOptions{PollEvery: 50 * time.Millisecond, TrustFor: 200 * time.Millisecond}, nil)
	l.Start()
	t.Cleanup(func() { _ = l.Stop(ctx) })
	if !waitFor(t, 5*time.Second, func() bool { _, _, tr := sink.state(); return time.Now().Before(tr) }) {
		t.Fatal("never trusted")
	}
	if _, err := db.ExecContext(ctx, "RENAME TABLE invalidations TO invalidations_away"); err != nil {
		t.Skipf("cannot hide the table on this engine: %v", err)
	}
	defer func() { _, _ = db.ExecContext(ctx, "RENAME TABLE invalidations_away TO invalidations") }()
	if !waitFor(t, 2*time.Second, func() bool { _, _, tr := sink.state(); return tr.IsZero() }) {
		t.Fatal("the cache is still trusted while the log cannot be read")
	}
	if err := l.Publish(ctx, ports.Invalidation{Users: []int64{1}}); err == nil {
		t.Fatal("Publish succeeded without the table")
	}
	if l.Pending() != 1 {
		t.Fatalf("pending = %d, want the failed append queued", l.Pending())
	}
	if _, err := db.ExecContext(ctx, "RENAME TABLE invalidations_away TO invalidations"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(t, 3*time.Second, func() bool { _, u, tr := sink.state(); return time.Now().Before(tr) && slices.Contains(u, 1) }) {
		t.Fatal("after the table came back: not trusted again, or the queued announcement was not delivered")
	}
}
