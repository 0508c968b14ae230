package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// requestTimeout is ONIT_HTTP_REQUEST_TIMEOUT in baseSettings; a request
// taking longer than hangLimit counts as a hang.
const (
	requestTimeout = 2 * time.Second
	hangLimit      = requestTimeout + 1500*time.Millisecond
)

// stack is one private MariaDB, one private Redis and onit serving on them.
type stack struct {
	db    *mariaDB
	redis *redisServer
	onit  *onitProc
	api   *api
}

// newStack starts the services and onit with baseSettings edited by edit.
func newStack(t *testing.T, edit func(map[string]string)) *stack {
	t.Helper()
	prepare(t)
	s := &stack{db: startMariaDB(t), redis: startRedis(t)}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	settings := baseSettings(s.db, s.redis, addr)
	if edit != nil {
		edit(settings)
	}
	s.onit = startOnit(t, settings)
	s.api = newAPI(addr)
	return s
}

// waitUntil polls cond every 50 ms for at most limit and reports whether it
// held; cond's last message explains a failure.
func waitUntil(limit time.Duration, cond func() (bool, string)) (bool, string) {
	deadline := time.Now().Add(limit)
	var msg string
	for {
		var ok bool
		if ok, msg = cond(); ok {
			return true, ""
		}
		if time.Now().After(deadline) {
			return false, msg
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readyzReports is a waitUntil condition: /readyz answers a 503 problem
// naming service.
func (s *stack) readyzReports(service string) func() (bool, string) {
	return func() (bool, string) {
		r := s.api.call("GET", "/readyz", nil, hangLimit)
		if r.err != nil {
			return false, r.err.Error()
		}
		if r.status != http.StatusServiceUnavailable {
			return false, fmt.Sprintf("/readyz = %d %s", r.status, r.body)
		}
		if err := problemError(r); err != nil {
			return false, err.Error()
		}
		return strings.Contains(string(r.body), service), fmt.Sprintf("/readyz does not name %s: %s", service, r.body)
	}
}

// readyzOK is a waitUntil condition: /readyz answers 200.
func (s *stack) readyzOK() (bool, string) {
	r := s.api.call("GET", "/readyz", nil, hangLimit)
	return r.err == nil && r.status == http.StatusOK, fmt.Sprintf("/readyz = %d %v %s", r.status, r.err, r.body)
}

// probeWrite creates one task (fresh Idempotency-Key each call) and reports
// whether it got 201.
func (s *stack) probeWrite(token string, project int64, n int) (bool, string) {
	title := fmt.Sprintf("probe-%d", n)
	r := s.api.call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", project), map[string]any{"title": title},
		hangLimit, append(bearer(token), "Idempotency-Key", "probe-key-"+title)...)
	return r.err == nil && r.status == http.StatusCreated, fmt.Sprintf("probe write: %d %v %.200s", r.status, r.err, r.body)
}

// MariaDB killed with SIGKILL under a steady write load and started again:
// every 201 is in the database, nothing is written twice, outage requests
// get a 503 problem within the request timeout, /readyz names mysql, and
// writes work again within 5 s of MariaDB answering.
func TestMariaDBKilledAndRestartedDuringWrites(t *testing.T) {
	s := newStack(t, nil)
	token := s.api.signUp(t, "writer@example.com")
	project := s.api.newProject(t, token, "kill -9")

	w := newWriteLoad(s.api, token, project, hangLimit)
	w.start(4, 2000)
	time.Sleep(time.Second)

	if err := s.db.kill(); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	if ok, msg := waitUntil(5*time.Second, s.readyzReports("mysql")); !ok {
		t.Errorf("/readyz during the outage: %s", msg)
	}
	time.Sleep(time.Until(killedAt.Add(3 * time.Second)))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.db.start(ctx); err != nil {
		t.Fatal(err)
	}
	backAt := time.Now()
	n := 0
	if ok, msg := waitUntil(5*time.Second, func() (bool, string) { n++; return s.probeWrite(token, project, n) }); !ok {
		t.Errorf("no successful write within 5s of MariaDB being back: %s", msg)
	} else {
		t.Logf("writes recovered %v after MariaDB answered", time.Since(backAt).Round(time.Millisecond))
	}
	if ok, msg := waitUntil(5*time.Second, s.readyzOK); !ok {
		t.Errorf("/readyz not 200 within 5s of MariaDB being back: %s", msg)
	}
	time.Sleep(time.Second)
	w.finish()

	w.report(t)
	if got := len(w.eventsBetween(killedAt.Add(200*time.Millisecond), backAt)); got == 0 {
		t.Error("no write was attempted during the outage: the test proved nothing")
	}
	for _, e := range w.eventsBetween(killedAt.Add(200*time.Millisecond), backAt) {
		if e.status != http.StatusServiceUnavailable {
			t.Errorf("write during the outage answered %d, want 503", e.status)
		}
	}
	w.verifyRows(t, s.db.admin)
	s.onit.checkNoPanic(t)
}

// MariaDB switched to read-only (a blue/green switchover) and back: writes
// get 503 meanwhile, reads keep working, and writes work again afterwards
// without a restart. The app's account is not SUPER, so read_only binds it.
func TestMariaDBReadOnlySwitchover(t *testing.T) {
	s := newStack(t, nil)
	token := s.api.signUp(t, "switch@example.com")
	project := s.api.newProject(t, token, "blue/green")
	task := s.api.newTask(t, token, project, "seed")

	// Readers hit MySQL on every request (lists are not cached).
	var (
		mu         sync.Mutex
		reads      int
		readErrors []string
	)
	stopReads := make(chan struct{})
	var readers sync.WaitGroup
	for i := range 2 {
		readers.Go(func() {
			paths := []string{fmt.Sprintf("/api/v1/projects/%d/tasks?limit=20", project), "/api/v1/projects", fmt.Sprintf("/api/v1/tasks/%d", task)}
			for n := range 5000 {
				select {
				case <-stopReads:
					return
				default:
				}
				r := s.api.call("GET", paths[(n+i)%len(paths)], nil, hangLimit, bearer(token)...)
				mu.Lock()
				reads++
				if r.err != nil || r.status != http.StatusOK {
					readErrors = append(readErrors, fmt.Sprintf("GET %s: %d %v %.200s", paths[(n+i)%len(paths)], r.status, r.err, r.body))
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	w := newWriteLoad(s.api, token, project, hangLimit)
	w.start(2, 2000)
	time.Sleep(700 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.db.admin.ExecContext(ctx, "SET GLOBAL read_only = ON"); err != nil {
		t.Fatal(err)
	}
	roAt := time.Now()
	time.Sleep(2 * time.Second)
	if _, err := s.db.admin.ExecContext(ctx, "SET GLOBAL read_only = OFF"); err != nil {
		t.Fatal(err)
	}
	rwAt := time.Now()
	n := 0
	if ok, msg := waitUntil(5*time.Second, func() (bool, string) { n++; return s.probeWrite(token, project, n) }); !ok {
		t.Errorf("writes did not work again within 5s of read_only=OFF: %s", msg)
	} else {
		t.Logf("writes recovered %v after read_only=OFF", time.Since(rwAt).Round(time.Millisecond))
	}
	time.Sleep(500 * time.Millisecond)
	w.finish()
	close(stopReads)
	readers.Wait()

	w.report(t)
	during := w.eventsBetween(roAt, rwAt)
	if len(during) == 0 {
		t.Error("no write was attempted while read-only: the test proved nothing")
	}
	for _, e := range during {
		if e.status != http.StatusServiceUnavailable {
			t.Errorf("write while read-only answered %d, want 503", e.status)
		}
	}
	mu.Lock()
	t.Logf("%d reads, %d failed", reads, len(readErrors))
	for i, e := range readErrors {
		if i == 10 {
			break
		}
		t.Errorf("read failed: %s", e)
	}
	mu.Unlock()
	w.verifyRows(t, s.db.admin)
	s.onit.checkNoPanic(t)
}

// With a pool of two connections and 64 concurrent requests stuck behind a
// row lock, every request waits until its deadline and gets a 503 problem
// (not a 500, not a hang), /metrics shows the pool waits, and the pool
// serves again once the lock is gone.
func TestPoolExhaustionAnswers503AtTheDeadline(t *testing.T) {
	const timeout = time.Second
	s := newStack(t, func(m map[string]string) {
		m["ONIT_MYSQL_MAX_OPEN_CONNS"] = "2"
		m["ONIT_HTTP_REQUEST_TIMEOUT"] = timeout.String()
	})
	token := s.api.signUp(t, "pool@example.com")
	project := s.api.newProject(t, token, "pool")
	task := s.api.newTask(t, token, project, "contended")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitsBefore := s.api.metric(t, "go_sql_wait_count_total", `db_name="onit"`)
	tx, err := s.db.admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SELECT id FROM "+appDatabase+".tasks WHERE id = ? FOR UPDATE", task); err != nil {
		t.Fatal(err)
	}

	const clients = 64
	results := make([]result, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			results[i] = s.api.call("PATCH", fmt.Sprintf("/api/v1/tasks/%d", task), map[string]any{"title": fmt.Sprintf("t%d", i)},
				timeout+1500*time.Millisecond, bearer(token)...)
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for i, r := range results {
		counts[r.status]++
		switch {
		case r.err != nil:
			t.Errorf("request %d: no answer after %v: %v", i, r.dur, r.err)
		case r.status != http.StatusServiceUnavailable:
			t.Errorf("request %d: %d, want 503: %.300s", i, r.status, r.body)
		case r.dur < timeout*8/10:
			t.Errorf("request %d: 503 after %v, before its %v deadline", i, r.dur, timeout)
		default:
			if err := problemError(r); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}
	}
	t.Logf("statuses %v", counts)

	waits := s.api.metric(t, "go_sql_wait_count_total", `db_name="onit"`) - waitsBefore
	waited := s.api.metric(t, "go_sql_wait_duration_seconds_total", `db_name="onit"`)
	t.Logf("pool waits during the burst: %v, %.1fs waited in all", waits, waited)
	if waits < clients/2 {
		t.Errorf("go_sql_wait_count_total rose by %v, want at least %d", waits, clients/2)
	}
	if waited <= 0 {
		t.Errorf("go_sql_wait_duration_seconds_total = %v, want > 0", waited)
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if ok, msg := waitUntil(5*time.Second, func() (bool, string) {
		r := s.api.call("PATCH", fmt.Sprintf("/api/v1/tasks/%d", task), map[string]any{"title": "after"}, hangLimit, bearer(token)...)
		return r.err == nil && r.status == http.StatusOK, fmt.Sprintf("%d %v %.200s", r.status, r.err, r.body)
	}); !ok {
		t.Errorf("the pool did not serve again after the lock was released: %s", msg)
	}
	s.onit.checkNoPanic(t)
}
