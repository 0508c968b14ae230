package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onitapp/onit/bootstrap/onittest"
)

// seedTask creates a task and fails the test unless it worked.
func seedTask(t *testing.T, app *onittest.App, token string, project int64, body map[string]any) {
	t.Helper()
	r := app.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/projects/%d/tasks", project), body, onittest.Bearer(token)...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create task: %d %s", r.Status, r.Body)
	}
}

// The board pages through every task (a page of 100 at a time, never
// stopping silently) and filters by status, assignee and title text, in
// the chosen order, with the filters kept in the URL across a reload.
func TestBoardFiltersOrderAndPaging(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	app.Register(t, "ada@example.com", goodPassword, "Ada Lovelace")
	bob := app.Register(t, "bob@example.com", goodPassword, "Bob Builder")
	bobID := int64(bob["id"].(float64))
	token := app.Login(t, "ada@example.com", goodPassword)
	project := seedProject(t, app, token, "Big board", "")
	addMember(t, app, token, project, "bob@example.com", "member")
	// 130 tasks: more than one page. Every tenth is Bob's and done; three
	// are about the rocket and have due dates out of creation order.
	const total = 130
	for i := range total {
		body := map[string]any{"title": fmt.Sprintf("Chore %03d", i)}
		if i%10 == 0 {
			body["assignee_id"], body["status"] = bobID, "done"
		}
		seedTask(t, app, token, project, body)
	}
	for _, r := range []struct{ title, due, prio string }{
		{"Rocket fuel", "2027-03-01", "low"}, {"Rocket hull", "2027-01-15", "urgent"}, {"Rocket crew", "2027-02-01", "normal"},
	} {
		seedTask(t, app, token, project, map[string]any{"title": r.title, "due_date": r.due, "priority": r.prio})
	}

	ada := newPerson(t, browser, "ada", app.URL, shots)
	ada.open(fmt.Sprintf("/projects/%d", project))
	ada.login("ada@example.com", goodPassword)
	ada.boardLoaded(100)
	if got := ada.text("[data-testid=task-count]"); !strings.Contains(got, "100") || !strings.Contains(got, "more") {
		t.Errorf("pager says %q, want 100 shown and more to come", got)
	}
	ada.shot("01-first-page")
	ada.do("load more", chromedp.Click(chromedp.CSS("[data-testid=load-more]")))
	ada.boardLoaded(total + 3)
	if eval[bool](ada, `!!document.querySelector('[data-testid=load-more]')`) {
		t.Error("load more is still offered with every task shown")
	}
	if got := ada.text("[data-testid=task-count]"); !strings.Contains(got, fmt.Sprint(total+3)) {
		t.Errorf("pager says %q after the last page", got)
	}
	if id := eval[string](ada, `document.activeElement?.closest('[data-task-id]')?.dataset.taskId ?? ''`); id == "" {
		t.Error("after the last page, focus is not on the first task it brought")
	}

	// Status: only the done column, with Bob's 13.
	ada.do("status done", choose("#filter-status", "done"))
	ada.waitFor("done only", `location.search.includes('status=done') && document.querySelectorAll('.column').length === 1 && document.querySelectorAll('[data-testid=task-card]').length === 13`)
	if got := eval[string](ada, `document.activeElement?.id ?? ''`); got != "filter-status" {
		t.Errorf("focus after filtering is on %q, want the status filter", got)
	}
	// Assignee, combined: Bob's tasks are all done, so still 13; anyone else's
	// done tasks: none.
	ada.do("assignee bob", choose("#filter-assignee_id", fmt.Sprint(bobID)))
	ada.waitFor("bob's done tasks", fmt.Sprintf(`location.search.includes('assignee_id=%d') && document.querySelectorAll('[data-testid=task-card]').length === 13 && [...document.querySelectorAll('[data-testid=card-assignee]')].every(s => s.textContent === 'Bob Builder')`, bobID))
	ada.shot("02-done-by-bob")
	ada.do("clear filters", chromedp.Click(chromedp.CSS("[data-testid=filter-clear]")))
	ada.boardLoaded(100)

	// Text and order: the three rockets, soonest due first.
	ada.do("search rocket", ada.fill("#filter-q", "rocket"), chromedp.Click(chromedp.CSS("[data-testid=filter-apply]")))
	ada.boardLoaded(3)
	ada.do("order by due date", choose("#filter-order", "due_date"))
	ada.waitFor("ordered", `location.search.includes('order=due_date') && document.querySelector('[data-testid=task-card] .card-open')?.textContent === 'Rocket hull'`)
	titles := eval[[]string](ada, `[...document.querySelectorAll('[data-status=todo] .card-open')].map(b => b.textContent)`)
	if strings.Join(titles, ",") != "Rocket hull,Rocket crew,Rocket fuel" {
		t.Errorf("by due date: %v", titles)
	}
	ada.do("order by priority", choose("#filter-order", "-priority"))
	ada.waitFor("by priority", `location.search.includes('order=-priority') && document.querySelector('[data-testid=task-card] .card-open')?.textContent === 'Rocket hull'`)
	titles = eval[[]string](ada, `[...document.querySelectorAll('[data-status=todo] .card-open')].map(b => b.textContent)`)
	if strings.Join(titles, ",") != "Rocket hull,Rocket crew,Rocket fuel" {
		t.Errorf("by priority: %v", titles)
	}

	// A reload keeps the filters (they live in the URL).
	ada.do("reload", chromedp.Reload())
	ada.boardLoaded(3)
	if got := eval[string](ada, `document.querySelector('#filter-q').value + '|' + document.querySelector('#filter-order').value`); got != "rocket|-priority" {
		t.Errorf("after a reload the filters read %q", got)
	}
	ada.shot("03-rockets-by-priority")
}

// A session that ends while the task dialog is open leaves no modal over
// the login page, and what was typed comes back after logging in.
func TestSessionEndsWithDialogOpen(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	app.Register(t, "ada@example.com", goodPassword, "Ada Lovelace")
	token := app.Login(t, "ada@example.com", goodPassword)
	project := seedProject(t, app, token, "Moon landing", "")

	ada := newPerson(t, browser, "ada", app.URL, shots)
	ada.open(fmt.Sprintf("/projects/%d", project))
	ada.login("ada@example.com", goodPassword)
	ada.boardLoaded(0)
	ada.do("open new task", chromedp.Click(chromedp.CSS("[data-testid=new-task]")))
	ada.waitFor("dialog", `document.activeElement?.id === 'task-title'`)
	ada.do("type a task",
		ada.fill("#task-title", "Do not lose me"),
		ada.fill("#task-description", "Typed before the session ended"),
		choose("#task-priority", "high"))

	// Her sessions end elsewhere (a password change revokes all others).
	const newPassword = "a brand new passphrase"
	if r := app.Do(t, http.MethodPost, "/api/v1/me/password", map[string]any{"current_password": goodPassword, "new_password": newPassword}, onittest.Bearer(token)...); r.Status != http.StatusNoContent {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	ada.do("save", chromedp.Click(chromedp.CSS("[data-testid=task-save]")))
	ada.waitFor("login page", `location.pathname === '/login' && !!document.querySelector('#login-email')`)
	if eval[bool](ada, `!!document.querySelector('dialog')`) {
		t.Fatal("a dialog is left over the login page")
	}
	ada.do("focus the email field", chromedp.Focus(chromedp.CSS("#login-email")))
	if got := eval[string](ada, `document.activeElement?.id ?? ''`); got != "login-email" {
		t.Errorf("the login form cannot take focus (active: %q)", got)
	}
	ada.shot("01-session-ended")

	ada.login("ada@example.com", newPassword)
	ada.waitFor("draft restored", `!!document.querySelector('dialog[open]') && document.querySelector('#task-title').value === 'Do not lose me'`)
	if got := eval[string](ada, `document.querySelector('#task-description').value + '|' + document.querySelector('#task-priority').value`); got != "Typed before the session ended|high" {
		t.Errorf("restored draft = %q", got)
	}
	ada.shot("02-draft-restored")
	ada.do("save again", chromedp.Click(chromedp.CSS("[data-testid=task-save]")))
	ada.waitFor("task created", `!document.querySelector('dialog[open]') && (`+cardID("Do not lose me")+`) !== ''`)
	// The draft is gone once used: a reload opens no dialog.
	ada.do("reload", chromedp.Reload())
	ada.boardLoaded(1)
	if eval[bool](ada, `!!document.querySelector('dialog')`) {
		t.Error("the draft came back a second time")
	}
}
