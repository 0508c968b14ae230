package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startReplicated starts a MariaDB primary with a binary log and a
// read-only MariaDB replica following it by GTID, both private to the
// test, and waits until the replica has caught up.
func startReplicated(t *testing.T) (primary, replica *mariaDB) {
	t.Helper()
	prepare(t)
	primary = startMariaDB(t, "--log-bin=primary-bin", "--server-id=1", "--binlog-format=ROW")
	replica = startMariaDB(t, "--server-id=2", "--read-only=ON")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass'",
		"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'",
		// Onit reads the replica's lag with SHOW REPLICA STATUS, which
		// MariaDB 10.5.9+ grants with REPLICA MONITOR (MySQL: REPLICATION
		// CLIENT). Replicated to the replica like everything else.
		fmt.Sprintf("GRANT REPLICA MONITOR ON *.* TO '%s'@'127.0.0.1'", appUser),
	} {
		if _, err := primary.admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("primary: %s: %v", q, err)
		}
	}
	for _, q := range []string{
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='repl', MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos", primary.port),
		"START SLAVE",
	} {
		if _, err := replica.admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("replica: %s: %v", q, err)
		}
	}
	if ok, msg := waitUntil(30*time.Second, func() (bool, string) { return caughtUp(ctx, replica.admin) }); !ok {
		t.Fatalf("replica not replicating: %s", msg)
	}
	return primary, replica
}

// caughtUp is a waitUntil condition: the replica has the app's grant, so it
// applied the primary's binary log so far.
func caughtUp(ctx context.Context, db *sql.DB) (bool, string) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE user = 'repl'").Scan(&n)
	return err == nil && n == 1, fmt.Sprintf("repl user on the replica: %d %v", n, err)
}

// With a real GTID replica: lists are served by it while it keeps up, a
// client reads its own write at once, and the replica killed in the middle
// of a read and write load costs no failed request (the primary answers),
// while /readyz stays 200 and says so.
func TestReplicaStoppedDuringLoad(t *testing.T) {
	primary, replica := startReplicated(t)
	s := &stack{db: primary, redis: startRedis(t)}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	settings := baseSettings(s.db, s.redis, addr)
	settings["ONIT_MYSQL_REPLICA_DSN"] = replica.appDSN()
	s.onit = startOnit(t, settings)
	s.api = newAPI(addr)

	if ok, msg := waitUntil(10*time.Second, s.readyzSays(`"mysql_replica":"ok`)); !ok {
		t.Fatalf("replica never in use: %s", msg)
	}
	token := s.api.signUp(t, "reader@example.com")
	project := s.api.newProject(t, token, "replicated")
	tasks := fmt.Sprintf("/api/v1/projects/%d/tasks", project)

	// Read your own write: the write's cookie sends the next list to the
	// primary, so the new task is in it whatever the replica's lag.
	w := s.api.call("POST", tasks, map[string]any{"title": "mine"}, hangLimit, bearer(token)...)
	if w.status != http.StatusCreated {
		t.Fatalf("create: %d %s", w.status, w.body)
	}
	var cookie string
	for _, c := range w.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "onit_rw=") {
			cookie = strings.SplitN(c, ";", 2)[0]
		}
	}
	if cookie == "" {
		t.Fatal("a write set no onit_rw cookie")
	}
	r := s.api.call("GET", tasks, nil, hangLimit, append(bearer(token), "Cookie", cookie)...)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"mine"`) {
		t.Errorf("list right after the write: %d %s", r.status, r.body)
	}

	// Lists without the cookie come from the replica while it keeps up.
	for range 20 {
		s.api.call("GET", tasks, nil, hangLimit, bearer(token)...)
	}
	if n := s.api.metric(t, "onit_db_lag_tolerant_reads_total", `pool="replica"`); n < 1 {
		t.Errorf("no list served by the replica (onit_db_lag_tolerant_reads_total{pool=\"replica\"} = %v)", n)
	}

	// Load: readers list, a writer creates; the replica dies in between.
	var failures, reads, writes atomic.Int64
	var failMu sync.Mutex
	var failed []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	note := func(what string, res result, want int) {
		if res.err != nil || res.status != want {
			failures.Add(1)
			failMu.Lock()
			failed = append(failed, fmt.Sprintf("%s: %d %v %.200s", what, res.status, res.err, res.body))
			failMu.Unlock()
		}
	}
	for i := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if i == 0 {
					n := writes.Add(1)
					note("write", s.api.call("POST", tasks, map[string]any{"title": fmt.Sprint("load ", n)}, hangLimit, bearer(token)...), http.StatusCreated)
					continue
				}
				reads.Add(1)
				note("read", s.api.call("GET", tasks, nil, hangLimit, bearer(token)...), http.StatusOK)
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := replica.kill(); err != nil {
		t.Fatal(err)
	}
	killedAt := reads.Load()
	time.Sleep(2500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d reads (%d after the kill), %d writes, %d failures", reads.Load(), reads.Load()-killedAt, writes.Load(), failures.Load())
	if failures.Load() > 0 {
		t.Errorf("%d requests failed with the replica gone: %v", failures.Load(), failed[:min(5, len(failed))])
	}
	if reads.Load()-killedAt < 10 {
		t.Error("too few reads after the kill: the test proved nothing")
	}
	if ok, msg := waitUntil(5*time.Second, s.readyzSays(`"mysql_replica":"down`)); !ok {
		t.Errorf("/readyz after the kill: %s", msg)
	}
	s.onit.checkNoPanic(t)
}

// readyzSays is a waitUntil condition: /readyz answers 200 with want in
// its body.
func (s *stack) readyzSays(want string) func() (bool, string) {
	return func() (bool, string) {
		r := s.api.call("GET", "/readyz", nil, hangLimit)
		return r.err == nil && r.status == http.StatusOK && strings.Contains(string(r.body), want),
			fmt.Sprintf("/readyz = %d %v %s", r.status, r.err, r.body)
	}
}
