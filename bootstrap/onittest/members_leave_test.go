package onittest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/onitapp/onit/bootstrap/onittest"
)

// Removing a member, or a member leaving, unassigns their tasks in that
// project (and only there) in the same transaction.
func TestRemovedMembersTasksAreUnassigned(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	owner, bob, carol := newUser(t, app, "Owner"), newUser(t, app, "Bob"), newUser(t, app, "Carol")
	p := createProject(t, app, owner, "Leaving")
	other := createProject(t, app, owner, "Staying")
	for _, pr := range []int64{p.ID, other.ID} {
		addMember(t, app, owner, pr, bob, "member")
		addMember(t, app, owner, pr, carol, "member")
	}
	bobsTask := createTask(t, app, owner, p.ID, map[string]any{"title": "Bob's", "assignee_id": bob.id})
	bobsOther := createTask(t, app, owner, other.ID, map[string]any{"title": "Bob's elsewhere", "assignee_id": bob.id})
	carolsTask := createTask(t, app, owner, p.ID, map[string]any{"title": "Carol's", "assignee_id": carol.id})
	// Warm the cache, so a stale copy would show.
	getTask(t, app, owner, bobsTask.ID)
	getTask(t, app, owner, carolsTask.ID)

	member := func(projectID, userID int64) string {
		return fmt.Sprintf("/api/v1/projects/%d/members/%d", projectID, userID)
	}
	expect(t, app.Do(t, "DELETE", member(p.ID, bob.id), nil, owner.auth...), http.StatusNoContent, "owner removes bob")
	got, _ := getTask(t, app, owner, bobsTask.ID)
	if got.AssigneeID != nil || got.Version == bobsTask.Version {
		t.Fatalf("bob's task after his removal: %+v (want unassigned, new version)", got)
	}
	if got, _ := getTask(t, app, owner, bobsOther.ID); got.AssigneeID == nil || *got.AssigneeID != bob.id {
		t.Fatalf("bob's task in another project changed: %+v", got)
	}

	// Carol is a plain member and leaves by herself.
	expect(t, app.Do(t, "DELETE", member(p.ID, carol.id), nil, carol.auth...), http.StatusNoContent, "carol leaves")
	if got, _ := getTask(t, app, owner, carolsTask.ID); got.AssigneeID != nil {
		t.Fatalf("carol's task after she left: %+v", got)
	}
	// A member still cannot remove someone else.
	expectProblem(t, app.Do(t, "DELETE", member(other.ID, owner.id), nil, bob.auth...), http.StatusForbidden, nil, "bob removes the owner")
}

func TestInviteMalformedEmailIsAFieldError(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	owner := newUser(t, app, "Owner")
	p := createProject(t, app, owner, "Invites")
	expectProblem(t, app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/members", p.ID),
		map[string]any{"email": "not-an-email", "role": "member"}, owner.auth...),
		http.StatusUnprocessableEntity, []string{"email:email"}, "invite not-an-email")
	expectProblem(t, app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/members", p.ID),
		map[string]any{"email": "nobody@example.com", "role": "member"}, owner.auth...),
		http.StatusNotFound, nil, "invite an unknown address")
}
