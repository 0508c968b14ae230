package scaleout

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// revocationBound is the README's promise: once a logout or password
// change has answered, every instance refuses the token within a second.
const revocationBound = time.Second

// taskStaleBound is the README's bound on reading one task from another
// instance than the one that changed it: the writer's instance answers
// with the change at once, every other within a second (the bound of the
// invalidation channel that also carries session revocations).
const taskStaleBound = time.Second

// listStaleBound is the README's bound on a list another client reads
// after a write: ONIT_MYSQL_REPLICA_MAX_LAG (2 s), plus up to a second
// because the replica reports its lag in whole seconds, plus the second
// between two readings of it.
const listStaleBound = 4 * time.Second

// A session opened on one instance is accepted by every other instance
// and through the load balancer, which spreads requests over all three.
func TestSessionWorksOnEveryInstance(t *testing.T) {
	tp := need(t)
	lb := newAPI(tp.lb, "load balancer")
	email := lb.signUp(t, "roamer")
	for i := range tp.ports {
		token := tp.instance(i+1).login(t, email, password)
		for _, a := range tp.all() {
			var me struct {
				Email string `json:"email"`
			}
			must(t, fmt.Sprintf("GET /me on %s with a session from instance %d", a.name, i+1),
				a.call("GET", "/api/v1/me", nil, bearer(token)...), http.StatusOK, &me)
			if !strings.EqualFold(me.Email, email) {
				t.Errorf("%s: /me is %q, want %q", a.name, me.Email, email)
			}
		}
	}
	// Round robin: every instance answers through the load balancer.
	seen := map[string]bool{}
	for range 4 * instances {
		r := lb.call("GET", "/readyz", nil)
		must(t, "GET /readyz through the load balancer", r, http.StatusOK, nil)
		seen[r.header.Get("X-Onit-Upstream")] = true
	}
	if len(seen) != instances {
		t.Errorf("the load balancer reached %d instances, want %d: %v", len(seen), instances, seen)
	}
}

// A logout on one instance, and a password change on another, are refused
// by every instance (each with the session in its memory) within a second
// of the answer, and stay refused.
func TestRevocationReachesEveryInstanceWithinOneSecond(t *testing.T) {
	tp := need(t)
	for _, how := range []string{"logout", "password change"} {
		t.Run(how, func(t *testing.T) {
			a1, a2 := tp.instance(1), tp.instance(2)
			email := a1.signUp(t, "leaver")
			keeper := a2.login(t, email, password)
			victim := a1.login(t, email, password)
			// Every instance has served the victim's session, so each
			// holds it in its local cache: the revocation must reach it.
			for range 3 {
				for _, a := range tp.all() {
					must(t, "GET /me before on "+a.name, a.call("GET", "/api/v1/me", nil, bearer(victim)...), http.StatusOK, nil)
				}
			}
			var r result
			if how == "logout" {
				r = a1.call("POST", "/api/v1/auth/logout", nil, bearer(victim)...)
				must(t, "logout on instance 1", r, http.StatusNoContent, nil)
			} else {
				r = a2.call("POST", "/api/v1/me/password", map[string]any{
					"current_password": password, "new_password": "an entirely new passphrase " + uniq("p")}, bearer(keeper)...)
				must(t, "password change on instance 2", r, http.StatusNoContent, nil)
			}
			answered := r.end
			refused := map[string]time.Duration{}
			clients := tp.all()
			for time.Since(answered) < 3*revocationBound && len(refused) < len(clients) {
				for _, a := range clients {
					if _, done := refused[a.name]; done {
						continue
					}
					if got := a.call("GET", "/api/v1/me", nil, bearer(victim)...); got.status == http.StatusUnauthorized {
						refused[a.name] = time.Since(answered)
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			for _, a := range clients {
				d, ok := refused[a.name]
				switch {
				case !ok:
					t.Errorf("%s still accepts the session %v after the %s answered", a.name, 3*revocationBound, how)
				case d > revocationBound:
					t.Errorf("%s refused the session only %v after the %s answered; bound %v", a.name, d.Round(time.Millisecond), how, revocationBound)
				default:
					t.Logf("%s refuses the session %v after the %s answered", a.name, d.Round(time.Millisecond), how)
				}
			}
			for _, a := range clients {
				if got := a.call("POST", "/api/v1/projects", map[string]any{"name": "after"}, bearer(victim)...); got.status != http.StatusUnauthorized {
					t.Errorf("%s: a write with the revoked session answered %v, want 401", a.name, got)
				}
			}
			if how == "password change" {
				for _, a := range clients {
					must(t, "the changer's own session on "+a.name, a.call("GET", "/api/v1/me", nil, bearer(keeper)...), http.StatusOK, nil)
				}
			}
		})
	}
}

// A task changed through one instance is read back changed at once from
// that instance and within taskStaleBound from every other, a list read
// by the writer is fresh at once on every instance (the onit_rw cookie),
// and a list read by another client is fresh within listStaleBound.
func TestUpdatedTaskIsNotServedStale(t *testing.T) {
	tp := need(t)
	a1 := tp.instance(1)
	email := a1.signUp(t, "editor")
	writer := a1.login(t, email, password)
	reader := tp.instance(2).login(t, email, password) // another device of the same user
	project := a1.newProject(t, writer)
	task := a1.newTask(t, writer, project, "version 0")
	path := "/api/v1/tasks/" + strconv.FormatInt(task.ID, 10)
	var worstList, worstTask time.Duration
	for round := 1; round <= 5; round++ {
		// Every instance has the task cached before the change.
		for _, a := range tp.all() {
			must(t, "GET task before on "+a.name, a.call("GET", path, nil, bearer(reader)...), http.StatusOK, nil)
			if _, r := a.listTitles(project, bearer(reader)...); r.status != http.StatusOK {
				t.Fatalf("list before on %s: %v", a.name, r)
			}
		}
		writeOn := tp.instance(1 + round%instances)
		title := fmt.Sprintf("version %d", round)
		w := writeOn.call("PATCH", path, map[string]any{"title": title}, bearer(writer)...)
		var after taskOut
		must(t, "PATCH on "+writeOn.name, w, http.StatusOK, &after)
		cookie := rwCookie(w)
		if cookie == "" {
			t.Fatal("the write set no onit_rw cookie")
		}
		// The writing instance serves its write at once.
		var got taskOut
		must(t, "GET task after on "+writeOn.name, writeOn.call("GET", path, nil, bearer(reader)...), http.StatusOK, &got)
		if got.Version != after.Version {
			t.Errorf("round %d: %s served version %d right after writing version %d", round, writeOn.name, got.Version, after.Version)
		}
		for _, a := range tp.all() {
			// Every other instance within taskStaleBound, and never an
			// older version once it has served this one.
			seen := false
			for {
				var got taskOut
				must(t, "GET task after on "+a.name, a.call("GET", path, nil, bearer(reader)...), http.StatusOK, &got)
				late := time.Since(w.end)
				switch {
				case got.Version == after.Version && got.Title == title:
					seen = true
					worstTask = max(worstTask, late)
				case seen:
					t.Errorf("round %d: %s went back to version %d after serving version %d", round, a.name, got.Version, after.Version)
				}
				if late > taskStaleBound {
					if !seen {
						t.Errorf("round %d: %s still serves %q version %d %v after %s wrote %q version %d; bound %v",
							round, a.name, got.Title, got.Version, late.Round(time.Millisecond), writeOn.name, title, after.Version, taskStaleBound)
					}
					break
				}
				if seen {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			titles, r := a.listTitles(project, append(bearer(writer), "Cookie", cookie)...)
			if r.status != http.StatusOK || titles[title] != 1 {
				t.Errorf("round %d: the writer's list on %s right after its write lacks %q: %v", round, a.name, title, r)
			}
		}
		// Another client (no cookie): the list may come from the replica.
		for _, a := range tp.all() {
			start := time.Now()
			for {
				titles, r := a.listTitles(project, bearer(reader)...)
				if r.status != http.StatusOK {
					t.Fatalf("list on %s: %v", a.name, r)
				}
				if titles[title] == 1 {
					worstList = max(worstList, time.Since(w.end))
					break
				}
				if time.Since(start) > listStaleBound {
					t.Errorf("round %d: %s still lists the old title %v after the write; bound %v", round, a.name, time.Since(w.end).Round(time.Millisecond), listStaleBound)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	t.Logf("every instance served the changed task at most %v after the write (bound %v); another client's list was fresh at most %v after it (bound %v)",
		worstTask.Round(time.Millisecond), taskStaleBound, worstList.Round(time.Millisecond), listStaleBound)
	// The lists above were the replica's to serve: prove it served some.
	var replicaReads float64
	for i := range tp.ports {
		replicaReads += tp.instance(i+1).metric(t, tp.metrics, "onit_db_lag_tolerant_reads_total", `pool="replica"`)
	}
	if replicaReads == 0 {
		t.Error("no list was served by the replica: the staleness check proved nothing")
	}
}

// An Idempotency-Key used on one instance is replayed by every other, and
// the same request sent to all instances at once creates one task (the
// others replay it, after 409 with Retry-After while it is being created).
func TestIdempotencyKeyDedupesAcrossInstances(t *testing.T) {
	tp := need(t)
	lb := newAPI(tp.lb, "load balancer")
	email := lb.signUp(t, "retrier")
	token := lb.login(t, email, password)
	project := lb.newProject(t, token)
	tasks := fmt.Sprintf("/api/v1/projects/%d/tasks", project)

	// One after another: instance 1 creates, the others replay.
	key := uniq("key")
	var first idOf
	r := tp.instance(1).call("POST", tasks, map[string]any{"title": "sequential"}, append(bearer(token), "Idempotency-Key", key)...)
	must(t, "first POST on instance 1", r, http.StatusCreated, &first)
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Error("the first POST says it was replayed")
	}
	for _, a := range tp.all()[1:] {
		var again idOf
		r := a.call("POST", tasks, map[string]any{"title": "sequential"}, append(bearer(token), "Idempotency-Key", key)...)
		must(t, "the same POST on "+a.name, r, http.StatusCreated, &again)
		if again.ID != first.ID || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: task %d replayed=%q, want a replay of task %d", a.name, again.ID, r.header.Get("Idempotent-Replayed"), first.ID)
		}
	}
	// The key with another body is refused everywhere, never a second task.
	for _, a := range tp.all() {
		r := a.call("POST", tasks, map[string]any{"title": "another body"}, append(bearer(token), "Idempotency-Key", key)...)
		if r.err != nil || r.status < 400 || r.status >= 500 {
			t.Errorf("%s: a reused key with another body answered %v, want a 4xx", a.name, r)
		}
	}

	// At once: every instance and the load balancer get the same request.
	cookie := ""
	for round := range 5 {
		key := uniq("race")
		title := fmt.Sprintf("concurrent %d", round)
		clients := tp.all()
		results := make([]result, len(clients))
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, a := range clients {
			wg.Go(func() {
				<-gate
				// While the first is still creating, the others get 409
				// with Retry-After and send again, as a client would.
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					results[i] = a.call("POST", tasks, map[string]any{"title": title}, append(bearer(token), "Idempotency-Key", key)...)
					if results[i].err != nil || results[i].status != http.StatusConflict || results[i].header.Get("Retry-After") == "" || time.Now().After(deadline) {
						break
					}
				}
			})
		}
		close(gate)
		wg.Wait()
		ids, created := map[int64]bool{}, 0
		for i, r := range results {
			var got idOf
			must(t, fmt.Sprintf("round %d: concurrent POST on %s", round, clients[i].name), r, http.StatusCreated, &got)
			ids[got.ID] = true
			if r.header.Get("Idempotent-Replayed") != "true" {
				created++
			}
			if c := rwCookie(r); c != "" {
				cookie = c
			}
		}
		if len(ids) != 1 || created != 1 {
			t.Errorf("round %d: %d task IDs and %d non-replayed answers, want 1 and 1", round, len(ids), created)
		}
	}
	// The writes' cookie reads the primary: the count is exact.
	titles, r := tp.instance(1).listTitles(project, append(bearer(token), "Cookie", cookie)...)
	if r.status != http.StatusOK {
		t.Fatalf("list: %v", r)
	}
	for title, n := range titles {
		if n != 1 {
			t.Errorf("%d tasks titled %q, want 1", n, title)
		}
	}
	if len(titles) != 6 {
		t.Errorf("%d distinct tasks, want 6 (1 sequential + 5 concurrent): %v", len(titles), titles)
	}
}
