package onittest_test

// A keyed task POST claims its Idempotency-Key, then creates the task
// linked to the claim (app/projects.Service.CreateTask): what a retry
// finds in each state of the claim, over HTTP against the real adapters.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dp "github.com/onitapp/onit/domain/projects"

	"github.com/onitapp/onit/bootstrap/onittest"
)

func TestKeyedTaskClaims(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	ctx := context.Background()
	alice := newUser(t, app, "Alice")
	p := createProject(t, app, alice, "Claims")
	tasks := projectPath(p.ID, "/tasks")
	post := func(u user, key string, body map[string]any) *onittest.Response {
		return app.Do(t, "POST", tasks, body, u.with("Idempotency-Key", key)...)
	}
	claims := func(u user, key string) int {
		t.Helper()
		var n int
		if err := app.DB.NewRaw("SELECT COUNT(*) FROM idempotency_keys WHERE user_id = ? AND idem_key = ?", u.id, key).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	replayed := func(r *onittest.Response) bool { return r.Header.Get("Idempotent-Replayed") == "true" }

	key := fmt.Sprintf("claim-%d", time.Now().UnixNano())
	body := map[string]any{"title": "claimed", "status": "done", "due_date": "2031-02-03"}

	// Fresh, then replayed: the same status, body and ETag.
	first := post(alice, key, body)
	expect(t, first, http.StatusCreated, "fresh")
	if replayed(first) {
		t.Fatal("a fresh create says it is replayed")
	}
	created := decode[taskJSON](t, first)
	again := post(alice, key, body)
	expect(t, again, http.StatusCreated, "replay")
	if !replayed(again) || string(again.Body) != string(first.Body) || again.Header.Get("ETag") != first.Header.Get("ETag") {
		t.Fatalf("replay: replayed %v, ETag %q (first %q), body\n%s\nwant\n%s", replayed(again),
			again.Header.Get("ETag"), first.Header.Get("ETag"), again.Body, first.Body)
	}
	expectProblem(t, post(alice, key, map[string]any{"title": "another"}), http.StatusUnprocessableEntity, nil, "another body")

	// A claim without a task, younger than the request deadline: the first
	// request may still be creating (here: its task was deleted at once).
	expect(t, app.Do(t, "DELETE", taskPath(created.ID), nil, alice.auth...), http.StatusNoContent, "delete")
	busy := post(alice, key, body)
	pr := expectProblem(t, busy, http.StatusConflict, nil, "in progress")
	if busy.Header.Get("Retry-After") != "1" || pr.Type != "urn:onit:problem:conflict" || !strings.Contains(pr.Detail, "Idempotency-Key") {
		t.Fatalf("in progress: Retry-After %q, %+v", busy.Header.Get("Retry-After"), pr)
	}
	// … translated like every message.
	details := map[string]bool{pr.Detail: true}
	for _, lang := range []string{"es", "fr", "de"} {
		u := newUserIn(t, app, "Claimant "+lang, lang)
		up := createProject(t, app, u, "Claims "+lang)
		k := "busy-" + lang
		r := app.Do(t, "POST", projectPath(up.ID, "/tasks"), map[string]any{"title": "x"}, u.with("Idempotency-Key", k)...)
		expect(t, r, http.StatusCreated, "create in "+lang)
		expect(t, app.Do(t, "DELETE", taskPath(decode[taskJSON](t, r).ID), nil, u.auth...), http.StatusNoContent, "delete in "+lang)
		r = app.Do(t, "POST", projectPath(up.ID, "/tasks"), map[string]any{"title": "x"}, u.with("Idempotency-Key", k)...)
		lp := expectProblem(t, r, http.StatusConflict, nil, "in progress in "+lang)
		if r.Header.Get("Retry-After") != "1" || r.Header.Get("Content-Language") != lang || details[lp.Detail] ||
			strings.Contains(lp.Detail, "projects.") || !strings.Contains(lp.Detail, "1") {
			t.Errorf("in progress in %s: Retry-After %q, Content-Language %q, detail %q", lang,
				r.Header.Get("Retry-After"), r.Header.Get("Content-Language"), lp.Detail)
		}
		details[lp.Detail] = true
	}

	// Older than the request deadline: the claiming request can no longer
	// write, so the retry takes the claim over and creates (the task was
	// deleted: it is created again), and is replayed from then on.
	if _, err := app.DB.NewRaw("UPDATE idempotency_keys SET created_at = ? WHERE user_id = ? AND idem_key = ?",
		time.Now().UTC().Add(-time.Hour), alice.id, key).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	redo := post(alice, key, body)
	expect(t, redo, http.StatusCreated, "takeover")
	recreated := decode[taskJSON](t, redo)
	if replayed(redo) || recreated.ID == created.ID || recreated.Title != "claimed" {
		t.Fatalf("takeover: replayed %v, task %+v (the deleted one was %d)", replayed(redo), recreated, created.ID)
	}
	if r := post(alice, key, body); !replayed(r) || string(r.Body) != string(redo.Body) {
		t.Fatalf("replay after takeover: %d %v %s", r.Status, replayed(r), r.Body)
	}
	if n := claims(alice, key); n != 1 {
		t.Fatalf("%d records for one key", n)
	}

	// Refused by the membership check: the claim is released, so the key
	// is free once the caller may create.
	bob := newUser(t, app, "Bob")
	refused := "refused-" + key
	expectProblem(t, post(bob, refused, map[string]any{"title": "not yet"}), http.StatusNotFound, nil, "non-member")
	if n := claims(bob, refused); n != 0 {
		t.Fatalf("a refused create left %d claims", n)
	}
	expectProblem(t, post(alice, "assignee-"+key, map[string]any{"title": "x", "assignee_id": bob.id}),
		http.StatusUnprocessableEntity, []string{"assignee_id:not_member"}, "assignee not a member")
	if n := claims(alice, "assignee-"+key); n != 0 {
		t.Fatalf("a refused create left %d claims", n)
	}
	addMember(t, app, alice, p.ID, bob, "member")
	if r := post(bob, refused, map[string]any{"title": "now"}); r.Status != http.StatusCreated || replayed(r) {
		t.Fatalf("after the release: %d replayed %v %s", r.Status, replayed(r), r.Body)
	}

	// A record the transactional create of earlier releases wrote (the
	// response stored, no claim link) still replays its response.
	draft := dp.TaskDraft{Title: "from before"}
	in, err := json.Marshal(draft)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("task:%d\x00", p.ID)), in...))
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond)
	old, err := dp.NewTask(p.ID, alice.id, draft, at)
	if err != nil {
		t.Fatal(err)
	}
	old.ID = createTask(t, app, alice, p.ID, map[string]any{"title": "from before"}).ID
	resp, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	oldKey := "old-" + key
	if _, err := app.DB.NewRaw("INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, response, created_at) VALUES (?, ?, ?, ?, ?)",
		alice.id, oldKey, hex.EncodeToString(sum[:]), resp, at).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	r := post(alice, oldKey, map[string]any{"title": "from before"})
	expect(t, r, http.StatusCreated, "old-format replay")
	got := decode[taskJSON](t, r)
	if !replayed(r) || got.ID != old.ID || got.CreatedAt != at.Format(time.RFC3339) || got.Title != "from before" {
		t.Fatalf("old-format replay: replayed %v, %+v (want ID %d created %s)", replayed(r), got, old.ID, at)
	}
	expectProblem(t, post(alice, oldKey, map[string]any{"title": "changed"}), http.StatusUnprocessableEntity, nil, "old-format, another body")
}
