package faulttest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeLoad drives POST task requests from a few workers. Every task has a
// unique title and Idempotency-Key; a 503, a 409 with Retry-After (the key
// still claimed by a failed attempt) or a transport error is retried with
// the same key and body (bounded), as a careful client would, so a
// commit whose answer was lost must come back as a replay, never a second
// row.
type writeLoad struct {
	a       *api
	token   string
	project int64
	// hang is the longest a request may take: the request timeout plus
	// slack. Longer counts as a hang.
	hang time.Duration

	mu       sync.Mutex
	created  map[string]int64 // title → ID answered with 201
	statuses map[int]int      // status → count (0: transport error)
	bad      []string         // requests that broke a rule
	events   []event          // every answered attempt
	wg       sync.WaitGroup
	stop     chan struct{}
}

func newWriteLoad(a *api, token string, project int64, hang time.Duration) *writeLoad {
	return &writeLoad{a: a, token: token, project: project, hang: hang,
		created: map[string]int64{}, statuses: map[int]int{}, stop: make(chan struct{})}
}

// start runs workers until stop, each doing at most maxOps tasks.
func (w *writeLoad) start(workers, maxOps int) {
	for i := range workers {
		w.wg.Go(func() {
			for n := range maxOps {
				select {
				case <-w.stop:
					return
				default:
				}
				w.create(fmt.Sprintf("w%d-%d", i, n))
			}
		})
	}
}

// event is one attempt's timing and status (0: transport error).
type event struct {
	start, end time.Time
	status     int
}

// eventsBetween lists the attempts that started at or after from and ended
// before to.
func (w *writeLoad) eventsBetween(from, to time.Time) []event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []event
	for _, e := range w.events {
		if !e.start.Before(from) && e.end.Before(to) {
			out = append(out, e)
		}
	}
	return out
}

// finish stops the workers and waits for them, pending retries included.
func (w *writeLoad) finish() {
	close(w.stop)
	w.wg.Wait()
}

// create makes one task, retrying 503s, 409s with Retry-After and
// transport errors with the same Idempotency-Key for up to 30 attempts
// (about 15 s).
func (w *writeLoad) create(title string) {
	path := fmt.Sprintf("/api/v1/projects/%d/tasks", w.project)
	hdr := append(bearer(w.token), "Idempotency-Key", "key-"+title)
	for range 30 {
		r := w.a.call("POST", path, map[string]any{"title": title}, w.hang, hdr...)
		w.mu.Lock()
		st := r.status
		if r.err != nil {
			st = 0
		}
		w.statuses[st]++
		w.events = append(w.events, event{start: r.start, end: r.start.Add(r.dur), status: st})
		switch {
		case r.err != nil:
			w.bad = append(w.bad, fmt.Sprintf("%s: transport error after %v: %v", title, r.dur.Round(time.Millisecond), r.err))
		case r.dur > w.hang:
			w.bad = append(w.bad, fmt.Sprintf("%s: answered %d after %v (limit %v)", title, r.status, r.dur, w.hang))
		case r.status == http.StatusCreated:
			var obj idOf
			if err := json.Unmarshal(r.body, &obj); err != nil || obj.ID == 0 {
				w.bad = append(w.bad, fmt.Sprintf("%s: 201 without an ID: %s", title, r.body))
			} else if prev, ok := w.created[title]; ok && prev != obj.ID {
				w.bad = append(w.bad, fmt.Sprintf("%s: created twice, IDs %d and %d", title, prev, obj.ID))
			} else {
				w.created[title] = obj.ID
			}
		case r.status == http.StatusServiceUnavailable:
			if err := problemError(r); err != nil {
				w.bad = append(w.bad, fmt.Sprintf("%s: %v", title, err))
			}
		case r.status == http.StatusConflict && r.header.Get("Retry-After") != "":
			// The key's claim outlived a failed attempt: in progress until
			// the request deadline, then taken over by a retry.
		default:
			w.bad = append(w.bad, fmt.Sprintf("%s: unexpected %d: %.300s", title, r.status, r.body))
		}
		w.mu.Unlock()
		if r.err == nil && r.status == http.StatusCreated {
			return
		}
		if r.err == nil && r.status != http.StatusServiceUnavailable && r.status != http.StatusConflict {
			return // not retryable; already recorded as bad
		}
		time.Sleep(500 * time.Millisecond)
	}
	w.mu.Lock()
	w.bad = append(w.bad, title+": no 201 after 30 attempts")
	w.mu.Unlock()
}

// report fails t for every broken rule and logs the status counts.
func (w *writeLoad) report(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("write load: %d tasks created; statuses %v", len(w.created), w.statuses)
	for i, b := range w.bad {
		if i == 20 {
			t.Errorf("… and %d more", len(w.bad)-20)
			break
		}
		t.Error(b)
	}
}

// verifyRows checks the database against what the clients were told: every
// 201 is a row with that ID and title, and no title has two rows.
func (w *writeLoad) verifyRows(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT id, title FROM "+appDatabase+".tasks WHERE project_id = ?", w.project)
	if err != nil {
		t.Fatalf("read tasks: %v", err)
	}
	defer rows.Close()
	byTitle := map[string][]int64{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		byTitle[title] = append(byTitle[title], id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var dup []string
	for title, ids := range byTitle {
		if len(ids) > 1 && strings.HasPrefix(title, "w") {
			dup = append(dup, fmt.Sprintf("%s×%d", title, len(ids)))
		}
	}
	sort.Strings(dup)
	if len(dup) > 0 {
		t.Errorf("written twice: %v", dup)
	}
	lost := 0
	for title, id := range w.created {
		ids := byTitle[title]
		if len(ids) != 1 || ids[0] != id {
			lost++
			if lost <= 10 {
				t.Errorf("task %q answered 201 with ID %d but the database has %v", title, id, ids)
			}
		}
	}
	if lost > 10 {
		t.Errorf("… %d acknowledged tasks missing or different in all", lost)
	}
}
