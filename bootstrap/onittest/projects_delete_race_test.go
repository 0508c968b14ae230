package onittest_test

// A conditional DELETE racing a PATCH with the same If-Match: the delete's
// version check and the delete itself must be one step, or a PATCH that
// commits in between is answered 200 and then silently deleted.

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/bootstrap/onittest"
)

// deleteRaceRounds is how many PATCH/DELETE pairs each case races; the
// window of the old read-then-delete was one round trip wide, which a few
// dozen rounds hit reliably.
const deleteRaceRounds = 40

// Of a PATCH and a DELETE sent at once with the same If-Match, never both
// succeed: a 204 leaves the PATCH 404 or 412 and the resource gone, a 200
// leaves the DELETE 412 and the patched resource in place.
func TestProjectsDeleteRacesPatchSameIfMatch(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	mysqltest.RequireInnoDB(t, app.DB)
	alice, bob := newUser(t, app, "Alice"), newUser(t, app, "Bob")

	cases := []struct {
		name string
		// create makes a fresh resource and returns its path and ETag.
		create            func(t *testing.T, round int) (path, etag string)
		patch             map[string]any
		patchBy, deleteBy user
	}{
		{"task", func(t *testing.T, round int) (string, string) {
			p := createProject(t, app, alice, fmt.Sprintf("Task race %d", round))
			addMember(t, app, alice, p.ID, bob, "member")
			r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), map[string]any{"title": "contested"}, alice.auth...)
			expect(t, r, http.StatusCreated, "create task")
			return taskPath(decode[taskJSON](t, r).ID), r.Header.Get("ETag")
		}, map[string]any{"title": "patched"}, bob, alice},
		{"project", func(t *testing.T, round int) (string, string) {
			r := app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": fmt.Sprintf("Project race %d", round)}, alice.auth...)
			expect(t, r, http.StatusCreated, "create project")
			return projectPath(decode[projectJSON](t, r).ID), r.Header.Get("ETag")
		}, map[string]any{"name": "patched"}, alice, alice},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var deleted, patched int
			for round := range deleteRaceRounds {
				path, tag := c.create(t, round)
				if tag == "" {
					t.Fatal("created without an ETag")
				}
				rs := race(t,
					func() *onittest.Response {
						return app.Do(t, "PATCH", path, c.patch, c.patchBy.with("If-Match", tag)...)
					},
					func() *onittest.Response {
						return app.Do(t, "DELETE", path, nil, c.deleteBy.with("If-Match", tag)...)
					})
				pr, dr := rs[0], rs[1]
				after := app.Do(t, "GET", path, nil, alice.auth...)
				switch {
				case pr.Status == http.StatusOK && dr.Status == http.StatusNoContent:
					t.Fatalf("round %d: both the PATCH (200) and the DELETE (204) with If-Match %s succeeded", round, tag)
				case dr.Status == http.StatusNoContent:
					deleted++
					if pr.Status != http.StatusNotFound && pr.Status != http.StatusPreconditionFailed {
						t.Errorf("round %d: PATCH after the DELETE won: %d %s", round, pr.Status, pr.Body)
					}
					if after.Status != http.StatusNotFound {
						t.Errorf("round %d: deleted, yet GET answers %d", round, after.Status)
					}
				case pr.Status == http.StatusOK:
					patched++
					if dr.Status != http.StatusPreconditionFailed {
						t.Errorf("round %d: DELETE after the PATCH won: %d %s, want 412", round, dr.Status, dr.Body)
					}
					dr.Problem(t)
					if after.Status != http.StatusOK || after.Header.Get("ETag") != pr.Header.Get("ETag") {
						t.Errorf("round %d: patched, yet GET answers %d ETag %q, want 200 %q",
							round, after.Status, after.Header.Get("ETag"), pr.Header.Get("ETag"))
					}
				default:
					t.Errorf("round %d: neither won: PATCH %d %s, DELETE %d %s", round, pr.Status, pr.Body, dr.Status, dr.Body)
				}
			}
			t.Logf("%d rounds: %d deleted, %d patched", deleteRaceRounds, deleted, patched)
		})
	}
}
