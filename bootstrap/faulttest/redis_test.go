package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Redis killed during a mixed load: no read fails, logins and authenticated
// requests keep working from MySQL, nobody is logged out, the throttle
// falls back to counting in memory with a log line; when Redis is back caching resumes
// and no stale object is served from it, although Redis kept (through its
// append-only file, as a promoted replica would) the copies it had before.
func TestRedisKilledDuringMixedLoad(t *testing.T) {
	s := newStack(t, nil)
	emails := []string{"r0@example.com", "r1@example.com", "r2@example.com"}
	tokens := make([]string, len(emails))
	for i, e := range emails {
		tokens[i] = s.api.signUp(t, e)
	}
	project := s.api.newProject(t, tokens[0], "cache")
	tasks := make([]int64, 8)
	for i := range tasks {
		tasks[i] = s.api.newTask(t, tokens[0], project, fmt.Sprintf("seed %d", i))
		must(t, "warm the cache", s.api.call("GET", fmt.Sprintf("/api/v1/tasks/%d", tasks[i]), nil, hangLimit, bearer(tokens[0])...), http.StatusOK, nil)
	}
	if !servesFromMemory(t, s, s.api, tokens[0], tasks[0], 10*time.Second) {
		t.Fatalf("task %d is not served from the instance's memory before the outage", tasks[0])
	}

	var (
		mu       sync.Mutex
		failures []string
		counts   = map[string]int{}
	)
	record := func(what string, r result, want int) {
		mu.Lock()
		defer mu.Unlock()
		counts[what]++
		if r.err != nil || r.status != want {
			failures = append(failures, fmt.Sprintf("%s: %d (want %d) after %v, %v: %.200s", what, r.status, want, r.dur.Round(time.Millisecond), r.err, r.body))
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(seed uint64, step func(rng *rand.Rand)) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, 7))
			for range 3000 {
				select {
				case <-stop:
					return
				default:
				}
				step(rng)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	// Readers: a task (Redis first), the task list, the caller.
	for i := range 2 {
		loop(uint64(i), func(rng *rand.Rand) {
			tok := tokens[rng.IntN(len(tokens))]
			id := tasks[rng.IntN(len(tasks))]
			record("GET task", s.api.call("GET", fmt.Sprintf("/api/v1/tasks/%d", id), nil, hangLimit, bearer(tokens[0])...), http.StatusOK)
			record("GET tasks", s.api.call("GET", fmt.Sprintf("/api/v1/projects/%d/tasks?limit=10", project), nil, hangLimit, bearer(tokens[0])...), http.StatusOK)
			record("GET me", s.api.call("GET", "/api/v1/me", nil, hangLimit, bearer(tok)...), http.StatusOK)
		})
	}
	// Logins, each followed by a request with the new session.
	loop(10, func(rng *rand.Rand) {
		email := emails[rng.IntN(len(emails))]
		r := s.api.call("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": userPassword}, hangLimit)
		record("login", r, http.StatusOK)
		var out struct {
			Token string `json:"token"`
		}
		if r.status == http.StatusOK && json.Unmarshal(r.body, &out) == nil {
			record("GET me after login", s.api.call("GET", "/api/v1/me", nil, hangLimit, bearer(out.Token)...), http.StatusOK)
		}
		time.Sleep(20 * time.Millisecond)
	})
	// Writers.
	w := newWriteLoad(s.api, tokens[0], project, hangLimit)
	w.start(1, 2000)

	time.Sleep(time.Second)
	s.redis.kill()
	killedAt := time.Now()
	time.Sleep(500 * time.Millisecond)

	// A write during the outage: a copy kept from before would now be stale.
	stale := tasks[0]
	var changed struct {
		Title   string `json:"title"`
		Version int64  `json:"version"`
	}
	must(t, "PATCH during the outage", s.api.call("PATCH", fmt.Sprintf("/api/v1/tasks/%d", stale),
		map[string]any{"title": "changed while Redis was down"}, hangLimit, bearer(tokens[0])...), http.StatusOK, &changed)
	fresh := s.api.newTask(t, tokens[0], project, "created while Redis was down")
	time.Sleep(time.Until(killedAt.Add(3 * time.Second)))

	if err := s.redis.start(); err != nil {
		t.Fatal(err)
	}
	backAt := time.Now()
	// The copy from before the outage must never be served again.
	for i := 0; time.Since(backAt) < 2*time.Second; i++ {
		var got struct {
			Title   string `json:"title"`
			Version int64  `json:"version"`
		}
		must(t, "GET the changed task", s.api.call("GET", fmt.Sprintf("/api/v1/tasks/%d", stale), nil, hangLimit, bearer(tokens[0])...), http.StatusOK, &got)
		if got.Title != changed.Title || got.Version != changed.Version {
			t.Errorf("%v after Redis came back: served stale task %d (%q, version %d), want %q version %d",
				time.Since(backAt).Round(time.Millisecond), stale, got.Title, got.Version, changed.Title, changed.Version)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Caching resumes once the invalidation subscription is back: a task
	// read now is served from memory again.
	if !servesFromMemory(t, s, s.api, tokens[0], fresh, 10*time.Second) {
		t.Errorf("caching did not resume within 10s of Redis being back")
	} else {
		t.Logf("caching resumed %v after Redis answered", time.Since(backAt).Round(time.Millisecond))
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	w.finish()

	w.report(t)
	w.mu.Lock()
	for st, n := range w.statuses {
		if st != http.StatusCreated {
			t.Errorf("%d writes answered %d during the Redis outage, want 201 (MySQL was up)", n, st)
		}
	}
	w.mu.Unlock()
	mu.Lock()
	t.Logf("requests: %v; failures: %d", counts, len(failures))
	for i, f := range failures {
		if i == 15 {
			t.Errorf("… %d failures in all", len(failures))
			break
		}
		t.Error(f)
	}
	mu.Unlock()
	for i, tok := range tokens {
		must(t, fmt.Sprintf("user %d still logged in", i), s.api.call("GET", "/api/v1/me", nil, hangLimit, bearer(tok)...), http.StatusOK, nil)
	}
	if out := s.onit.out.String(); !strings.Contains(out, "throttle store unavailable") {
		t.Error(`the server did not log "throttle store unavailable" while Redis was down`)
	}
	w.verifyRows(t, s.db.admin)
	s.onit.checkNoPanic(t)
}
