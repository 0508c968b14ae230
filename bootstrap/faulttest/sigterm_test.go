package faulttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// probe is one readiness check on a fresh connection: its status, or a
// refused connection.
type probe struct {
	at      time.Time
	status  int
	refused bool
	err     error
}

// SIGTERM during load (a deploy): /readyz turns 503 first, new connections
// are still served for the shutdown delay and refused only after it, every
// request in flight when the listener closes (here: requests waiting on a
// row lock) completes normally, and the process exits 0.
func TestSIGTERMDuringLoadLosesNoRequest(t *testing.T) {
	const delay = 1 * time.Second
	s := newStack(t, func(m map[string]string) {
		m["ONIT_HTTP_SHUTDOWN_DELAY"] = delay.String()
		m["ONIT_HTTP_REQUEST_TIMEOUT"] = "10s"
	})
	token := s.api.signUp(t, "deploy@example.com")
	project := s.api.newProject(t, token, "deploy")
	locked := s.api.newTask(t, token, project, "locked")
	other := s.api.newTask(t, token, project, "other")

	// Requests that are in flight across the whole shutdown: they wait on
	// a row lock held from another connection until the listener is gone.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := s.db.admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SELECT id FROM "+appDatabase+".tasks WHERE id = ? FOR UPDATE", locked); err != nil {
		t.Fatal(err)
	}
	const slow = 4
	slowResults := make([]result, slow)
	var slowWG sync.WaitGroup
	for i := range slow {
		slowWG.Go(func() {
			slowResults[i] = s.api.call("PATCH", fmt.Sprintf("/api/v1/tasks/%d", locked),
				map[string]any{"title": fmt.Sprintf("slow %d", i)}, 20*time.Second, bearer(token)...)
		})
	}

	// Steady load on keep-alive connections. GETs and POSTs with an
	// Idempotency-Key are replayable, so the client retries the benign race
	// of a request sent on an idle connection as the server closes it.
	var (
		mu      sync.Mutex
		answers = map[int]int{}
		bad     []string
		refused []time.Time
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			for n := range 5000 {
				select {
				case <-stop:
					return
				default:
				}
				var r result
				want := http.StatusOK
				if n%3 == 0 {
					title := fmt.Sprintf("w%d-%d", i, n)
					r = s.api.call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", project), map[string]any{"title": title},
						hangLimit, append(bearer(token), "Idempotency-Key", title)...)
					want = http.StatusCreated
				} else {
					r = s.api.call("GET", fmt.Sprintf("/api/v1/tasks/%d", other), nil, hangLimit, bearer(token)...)
				}
				mu.Lock()
				switch {
				case r.err != nil && isRefused(r.err):
					refused = append(refused, r.start)
				case r.err != nil:
					bad = append(bad, fmt.Sprintf("request cut after %v: %v", r.dur, r.err))
				case r.status != want:
					bad = append(bad, fmt.Sprintf("answered %d, want %d: %.200s", r.status, want, r.body))
				default:
					answers[r.status]++
				}
				mu.Unlock()
				if r.err != nil && isRefused(r.err) {
					return // the server is gone
				}
			}
		})
	}

	// Readiness on fresh connections, as a load balancer probes it.
	var probes []probe
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		for range 2000 {
			p := probe{at: time.Now()}
			p.status = status(s.onit.addr, "/readyz")
			if p.status == 0 {
				conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(context.Background(), "tcp", s.onit.addr)
				if err == nil {
					conn.Close()
				}
				p.refused, p.err = isRefused(err), err
			}
			probes = append(probes, p)
			if p.refused {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()

	time.Sleep(700 * time.Millisecond)
	termAt := time.Now()
	if err := s.onit.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-probed:
	case <-time.After(15 * time.Second):
		t.Fatal("new connections were never refused after SIGTERM")
	}
	// The listener is closed; now let the in-flight requests finish.
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	slowWG.Wait()
	close(stop)
	wg.Wait()
	select {
	case <-s.onit.exited:
		if s.onit.err != nil {
			t.Errorf("onit exited with %v, want status 0", s.onit.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("onit did not exit after SIGTERM")
	}

	// Readiness: 200 until SIGTERM, then 503, then refused; never back.
	var first503, firstRefused time.Time
	for _, p := range probes {
		switch {
		case p.refused:
			firstRefused = p.at
		case p.status == http.StatusServiceUnavailable:
			if first503.IsZero() {
				first503 = p.at
			}
		case p.status == http.StatusOK:
			if !first503.IsZero() {
				t.Errorf("/readyz answered 200 again %v after SIGTERM", p.at.Sub(termAt))
			}
		default:
			t.Errorf("readiness probe %v after SIGTERM: status %d, %v", p.at.Sub(termAt), p.status, p.err)
		}
	}
	switch {
	case first503.IsZero():
		t.Error("/readyz never answered 503 before connections were refused")
	case firstRefused.IsZero():
		t.Error("connections were never refused")
	default:
		t.Logf("/readyz 503 %v after SIGTERM; connections refused %v after SIGTERM", first503.Sub(termAt).Round(time.Millisecond), firstRefused.Sub(termAt).Round(time.Millisecond))
		if !first503.Before(firstRefused) {
			t.Error("connections were refused before /readyz answered 503")
		}
		// Measured from the signal, which the server cannot act before, so
		// a slow probe on a busy machine cannot make this flaky.
		if got := firstRefused.Sub(termAt); got < delay*9/10 {
			t.Errorf("connections refused %v after SIGTERM, before the %v shutdown delay was over", got, delay)
		}
	}

	// Every in-flight request finished normally.
	for i, r := range slowResults {
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("in-flight request %d: %d after %v, %v: %.200s", i, r.status, r.dur, r.err, r.body)
		}
	}
	mu.Lock()
	t.Logf("load: answers %v, %d refused after shutdown", answers, len(refused))
	for i, b := range bad {
		if i == 10 {
			t.Errorf("… %d in all", len(bad))
			break
		}
		t.Error(b)
	}
	for _, at := range refused {
		if !first503.IsZero() && at.Before(first503) {
			t.Errorf("a request was refused %v before /readyz turned 503", first503.Sub(at))
		}
	}
	mu.Unlock()
	s.onit.checkNoPanic(t)
}

// isRefused reports a connection refused: nothing listens any more.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
