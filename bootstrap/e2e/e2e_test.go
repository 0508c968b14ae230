// Package e2e_test drives the real application through the web frontend in
// headless Chromium: the browser loads the embedded assets from the real
// server (real MySQL and Redis in CI, the embedded engines locally with
// -tags devengines) and uses only what a person uses.
package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/onitapp/onit/bootstrap/onittest"
)

const goodPassword = "correct horse battery staple"

// cardID is a JS expression for the task ID of the card titled title.
func cardID(title string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[data-testid=task-card]')].find(c => c.querySelector('.card-open').textContent === %q)?.dataset.taskId ?? ''`, title)
}

// boardLoaded waits until the board of the project shows n tasks in all.
func (p *person) boardLoaded(n int) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("board with %d tasks", n),
		fmt.Sprintf(`!!document.querySelector('[data-testid=board]') && document.querySelectorAll('[data-testid=task-card]').length === %d`, n))
}

// login fills the login form and waits to leave it.
func (p *person) login(email, password string) {
	p.t.Helper()
	p.waitFor("login form", `!!document.querySelector('#login-email')`)
	p.do("log in",
		p.fill("#login-email", email),
		p.fill("#login-password", password),
		chromedp.Click(chromedp.CSS("[data-testid=login-submit]")))
	p.waitFor("logged in", `!location.pathname.startsWith('/login') && !!document.querySelector('[data-testid=who]')`)
}

// createTask opens the new-task dialog, fills it and saves.
func (p *person) createTask(title, priority, assignee, due string) {
	p.t.Helper()
	p.do("open new task dialog "+title, chromedp.Click(chromedp.CSS("[data-testid=new-task]")))
	p.waitFor("task dialog open", `!!document.querySelector('dialog[open] #task-title') && document.activeElement?.id === 'task-title'`)
	steps := []chromedp.Action[chromedp.Void]{p.fill("#task-title", title), p.fill("#task-description", "About "+title)}
	if priority != "" {
		steps = append(steps, choose("#task-priority", priority))
	}
	if assignee != "" {
		steps = append(steps, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('#task-assignee_id');
				s.value = [...s.options].find(o => o.textContent === %q).value; return true; })()`, assignee))(ctx, t)
			return err
		}))
	}
	if due != "" {
		steps = append(steps, chromedp.SetValue(chromedp.CSS("#task-due_date"), due))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS("[data-testid=task-save]")))
	p.do("create task "+title, steps...)
	p.waitFor("task created "+title, `!document.querySelector('dialog[open]') && (`+cardID(title)+`) !== ''`)
}

// TestPersonUsesTheApp is the scenario: sign up (refused a weak
// password first), a project with three tasks, a move to done, a comment,
// log out and in again; an invited person sees the tasks, a stranger
// cannot reach them.
func TestPersonUsesTheApp(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	app.Register(t, "bob@example.com", goodPassword, "Bob Builder")
	app.Register(t, "carol@example.com", goodPassword, "Carol Stranger")

	ada := newPerson(t, browser, "ada", app.URL, shots)

	// Sign up: the rules are shown, a weak password is refused with them.
	ada.open("/signup")
	ada.waitFor("password rules", `document.querySelectorAll('[data-testid=password-rules] li').length >= 1`)
	ada.do("sign up with a weak password",
		ada.fill("#signup-name", "Ada Lovelace"),
		ada.fill("#signup-email", "ada@example.com"),
		ada.fill("#signup-password", "12345"),
		chromedp.Click(chromedp.CSS("[data-testid=signup-submit]")))
	ada.waitFor("weak password refused", `document.querySelector('#signup-password-error')?.hidden === false`)
	failed := eval[[]string](ada, `[...document.querySelectorAll('[data-testid=password-rules] li.failed')].map(li => li.dataset.code)`)
	if !slices.Contains(failed, "password_too_short") || !slices.Contains(failed, "password_entirely_numeric") {
		t.Errorf("failed rules marked = %v, want password_too_short and password_entirely_numeric among them", failed)
	}
	msgs := eval[[]string](ada, `[...document.querySelectorAll('#signup-password-error .msg')].map(m => m.textContent)`)
	if len(msgs) < 2 || !strings.Contains(strings.Join(msgs, " "), "8") {
		t.Errorf("password messages = %q, want one per failed rule, naming the minimum of 8", msgs)
	}
	if got := eval[string](ada, `document.activeElement?.id ?? ''`); got != "signup-password" {
		t.Errorf("focus after refusal is on %q, want the password field", got)
	}
	ada.shot("01-weak-password-refused")

	ada.do("sign up properly", ada.fill("#signup-password", goodPassword), chromedp.Click(chromedp.CSS("[data-testid=signup-submit]")))
	ada.waitFor("project list", `location.pathname === '/' && document.querySelector('[data-testid=project-list]')?.getAttribute('aria-busy') === null`)
	if who := ada.text("[data-testid=who]"); !strings.Contains(who, "Ada Lovelace") {
		t.Errorf("top bar says %q, want Ada's name", who)
	}
	ada.shot("02-signed-up")

	// A project and three tasks.
	ada.do("create project",
		ada.fill("#project-name", "Moon landing"),
		ada.fill("#project-description", "One small step"),
		chromedp.Click(chromedp.CSS("[data-testid=project-create]")))
	ada.waitFor("board", `/^\/projects\/\d+$/.test(location.pathname) && !!document.querySelector('[data-testid=board]')`)
	projectPath := eval[string](ada, `location.pathname`)
	if got := ada.text("[data-testid=project-title]"); got != "Moon landing" {
		t.Errorf("board title = %q", got)
	}
	ada.createTask("Build the rocket", "urgent", "Ada Lovelace", "2026-12-24")
	ada.createTask("Train the crew", "", "", "")
	ada.createTask("Plant the flag", "low", "", "")
	ada.boardLoaded(3)
	if got := eval[int](ada, `document.querySelectorAll('[data-status=todo] [data-testid=task-card]').length`); got != 3 {
		t.Errorf("to-do column has %d tasks, want 3", got)
	}
	ada.shot("03-three-tasks")

	// Move one to done.
	rocket := eval[string](ada, cardID("Build the rocket"))
	ada.do("move to done", choose(fmt.Sprintf(`[data-task-id="%s"] [data-testid=move]`, rocket), "done"))
	ada.waitFor("task in done column", fmt.Sprintf(`!!document.querySelector('[data-status=done] [data-task-id="%s"]')`, rocket))
	ada.shot("04-moved-to-done")

	// Comment on it.
	ada.do("open task", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-task-id="%s"] .card-open`, rocket))))
	ada.waitFor("comments loaded", `document.querySelector('dialog[open] [data-testid=comments]')?.getAttribute('aria-busy') === null`)
	if got := eval[string](ada, `document.querySelector('#task-due_date').value`); got != "2026-12-24" {
		t.Errorf("due date in the dialog = %q", got)
	}
	ada.do("add comment",
		ada.fill("#comment-body", "Fuel is loaded."),
		chromedp.Click(chromedp.CSS("[data-testid=comment-add]")))
	ada.waitFor("comment shown", `[...document.querySelectorAll('[data-testid=comments] li')].some(li => li.textContent.includes('Fuel is loaded.'))`)
	ada.shot("05-commented")
	ada.do("close dialog", chromedp.Click(chromedp.CSS("[data-testid=task-cancel]")))
	ada.waitFor("dialog closed, focus back on the card", fmt.Sprintf(`!document.querySelector('dialog') && document.activeElement?.closest('[data-task-id]')?.dataset.taskId === %q`, rocket))

	// Someone else changes a task behind Ada's back: her move gets 412,
	// she is told and the board reloads with the other change.
	token := app.Login(t, "ada@example.com", goodPassword)
	crew := eval[string](ada, cardID("Train the crew"))
	if r := app.Do(t, http.MethodPatch, "/api/v1/tasks/"+crew, map[string]any{"title": "Train the whole crew"}, onittest.Bearer(token)...); r.Status != http.StatusOK {
		t.Fatalf("change task behind the page: %d %s", r.Status, r.Body)
	}
	ada.do("move a stale task", choose(fmt.Sprintf(`[data-task-id="%s"] [data-testid=move]`, crew), "in_progress"))
	ada.waitFor("reloaded after 412", `document.querySelector('#flash').textContent.includes('Someone else changed') && (`+cardID("Train the whole crew")+`) !== ''`)
	if got := eval[int](ada, `document.querySelectorAll('[data-status=in_progress] [data-testid=task-card]').length`); got != 0 {
		t.Errorf("after the 412 the stale move was applied anyway (%d tasks in progress)", got)
	}
	ada.shot("06-conflict-reloaded")

	// Invite: an unknown email is refused with the API's message, Bob joins.
	ada.do("invite unknown", ada.fill("#invite-email", "nobody@example.com"), chromedp.Click(chromedp.CSS("[data-testid=invite-submit]")))
	ada.waitFor("unknown email refused", `document.querySelector('[data-testid=invite-error]')?.hidden === false`)
	if got := ada.text("[data-testid=invite-error]"); got == "" {
		t.Error("no message for an unknown email")
	}
	ada.shot("07-unknown-email")
	ada.do("invite bob", ada.fill("#invite-email", "bob@example.com"), chromedp.Click(chromedp.CSS("[data-testid=invite-submit]")))
	ada.waitFor("bob is a member", `document.querySelector('[data-testid=members]').textContent.includes('Bob Builder')`)

	// Log out, log back in: everything is still there.
	ada.do("log out", chromedp.Click(chromedp.CSS("[data-testid=logout]")))
	ada.waitFor("login page", `location.pathname === '/login' && !!document.querySelector('#login-email')`)
	ada.open(projectPath) // a deep link while logged out goes through login
	ada.waitFor("sent to login", `location.pathname === '/login' && location.search.includes('next=')`)
	ada.login("ada@example.com", goodPassword)
	ada.boardLoaded(3)
	if got := eval[string](ada, `location.pathname`); got != projectPath {
		t.Errorf("after login at %s, want back at %s", got, projectPath)
	}
	if eval[string](ada, fmt.Sprintf(`document.querySelector('[data-status=done] [data-task-id="%s"]')?.dataset.taskId ?? ''`, rocket)) == "" {
		t.Error("the moved task is not in done after logging in again")
	}
	ada.do("reopen task", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-task-id="%s"] .card-open`, rocket))))
	ada.waitFor("comment still there", `[...document.querySelectorAll('[data-testid=comments] li')].some(li => li.textContent.includes('Fuel is loaded.') && li.textContent.includes('Ada Lovelace'))`)
	ada.shot("08-logged-in-again")
	ada.do("close dialog", chromedp.Click(chromedp.CSS("[data-testid=task-cancel]")))

	// Bob, invited, sees the project and its tasks.
	bob := newPerson(t, browser, "bob", app.URL, shots)
	bob.open("/")
	bob.login("bob@example.com", goodPassword)
	bob.waitFor("project listed", `[...document.querySelectorAll('[data-testid=project-list] a')].some(a => a.textContent === 'Moon landing')`)
	bob.do("open project", chromedp.Click(chromedp.CSS(`[data-testid=project-list] a`)))
	bob.boardLoaded(3)
	if bob.text("[data-testid=project-title]") != "Moon landing" {
		t.Errorf("bob sees board %q", bob.text("[data-testid=project-title]"))
	}
	if eval[bool](bob, `!!document.querySelector('#invite-form')`) {
		t.Error("a member is offered the owner's invite form")
	}
	bob.shot("09-invited-member-sees-tasks")

	// Bob changes his password elsewhere, which ends his other sessions:
	// the browser's next call gets 401 and he is sent to log in again.
	bobToken := app.Login(t, "bob@example.com", goodPassword)
	if r := app.Do(t, http.MethodPost, "/api/v1/me/password", map[string]any{"current_password": goodPassword, "new_password": "a brand new passphrase"}, onittest.Bearer(bobToken)...); r.Status != http.StatusNoContent {
		t.Fatalf("change bob's password: %d %s", r.Status, r.Body)
	}
	bob.do("back to projects", chromedp.Click(chromedp.CSS(`.topnav a[href="/"]`)))
	bob.waitFor("sent to login", `location.pathname === '/login' && document.querySelector('#flash').textContent.includes('session has ended')`)
	bob.login("bob@example.com", "a brand new passphrase")
	bob.waitFor("back at the project list", `location.pathname === '/' && [...document.querySelectorAll('[data-testid=project-list] a')].some(a => a.textContent === 'Moon landing')`)

	// Carol, not invited, cannot reach it: not listed, and the URL is "not found".
	carol := newPerson(t, browser, "carol", app.URL, shots)
	carol.open(projectPath)
	carol.login("carol@example.com", goodPassword)
	carol.waitFor("not found", `!!document.querySelector('[data-testid=not-found]')`)
	if n := eval[int](carol, `document.querySelectorAll('[data-testid=task-card]').length`); n != 0 {
		t.Errorf("carol sees %d tasks", n)
	}
	carol.shot("10-stranger-not-found")
	carol.open("/")
	carol.waitFor("empty project list", `document.querySelector('[data-testid=project-list]')?.getAttribute('aria-busy') === null`)
	if eval[bool](carol, `document.querySelector('[data-testid=project-list]').textContent.includes('Moon landing')`) {
		t.Error("carol's project list shows a project she is not a member of")
	}

	// The network drops: the person is told and can retry once it is back.
	ada.do("go offline", offline(true))
	ada.do("go to projects", chromedp.Click(chromedp.CSS(`.topnav a[href="/"]`)))
	ada.waitFor("network error shown", `document.querySelector('#banner')?.hidden === false && !!document.querySelector('[data-testid=retry]')`)
	if got := ada.text("#banner"); !strings.Contains(got, "Could not reach the server") {
		t.Errorf("banner = %q", got)
	}
	ada.shot("11-offline")
	ada.do("back online and retry", offline(false), chromedp.Click(chromedp.CSS("[data-testid=retry]")))
	ada.waitFor("projects after retry", `document.querySelector('#banner').hidden && [...document.querySelectorAll('[data-testid=project-list] a')].some(a => a.textContent === 'Moon landing')`)

	// Ada switches to German: the UI follows and the choice is saved.
	ada.do("switch language", choose("#lang-select", "de"))
	ada.waitFor("german page", `document.documentElement.lang === 'de' && document.querySelector('main h1')?.textContent === 'Projekte'`)
	ada.open(projectPath) // a fresh load keeps the saved language
	ada.waitFor("german board", `document.documentElement.lang === 'de' && document.querySelector('#col-todo')?.textContent.includes('Zu erledigen')`)
	ada.shot("12-german")
	var me struct {
		Language string `json:"language"`
	}
	app.Do(t, http.MethodGet, "/api/v1/me", nil, onittest.Bearer(token)...).JSON(t, &me)
	if me.Language != "de" {
		t.Errorf("saved language = %q, want de", me.Language)
	}
}

// offline cuts the tab off the network (or reconnects it), as a dropped
// connection would.
func offline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var rules []*network.Conditions
		if off {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	})
}

// TestLayoutFitsSmallAndLargeScreens checks the login page and a full board
// at a phone's 375 px and a desktop's 1440 px: nothing may overflow
// sideways, and the board's columns stack on the phone.
func TestLayoutFitsSmallAndLargeScreens(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	app.Register(t, "dana@example.com", goodPassword, "Dana Scully-Mulder With A Rather Long Name")
	token := app.Login(t, "dana@example.com", goodPassword)
	auth := onittest.Bearer(token)
	r := app.Do(t, http.MethodPost, "/api/v1/projects", map[string]any{"name": "Layout check", "description": strings.Repeat("wide ", 40)}, auth...)
	var project struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &project)
	for i, s := range []string{"todo", "in_progress", "done", "todo"} {
		title := fmt.Sprintf("Task %d %s", i, strings.Repeat("Supercalifragilisticexpialidocious", 3))
		if r := app.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/projects/%d/tasks", project.ID),
			map[string]any{"title": title, "status": s, "priority": "high", "due_date": "2026-12-31"}, auth...); r.Status != http.StatusCreated {
			t.Fatalf("create task: %d %s", r.Status, r.Body)
		}
	}

	dana := newPerson(t, browser, "dana", app.URL, shots)
	overflow := `document.documentElement.scrollWidth - document.documentElement.clientWidth`
	for _, width := range []int64{375, 1440} {
		dana.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		dana.open("/login")
		dana.waitFor("login form", `!!document.querySelector('#login-email')`)
		if got := eval[int](dana, overflow); got > 0 {
			t.Errorf("login at %d px overflows sideways by %d px", width, got)
		}
		dana.shot(fmt.Sprintf("login-%d", width))
	}
	dana.login("dana@example.com", goodPassword)
	for _, width := range []int64{375, 1440} {
		dana.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		dana.open(fmt.Sprintf("/projects/%d", project.ID))
		dana.boardLoaded(4)
		if got := eval[int](dana, overflow); got > 0 {
			t.Errorf("board at %d px overflows sideways by %d px", width, got)
		}
		// The columns sit side by side on a desktop and stack on a phone.
		tops := eval[[]float64](dana, `[...document.querySelectorAll('.column')].map(c => c.getBoundingClientRect().top)`)
		sideBySide := len(tops) == 3 && tops[0] == tops[1] && tops[1] == tops[2]
		if want := width >= 1000; sideBySide != want {
			t.Errorf("at %d px columns side by side = %v, want %v (tops %v)", width, sideBySide, want, tops)
		}
		dana.shot(fmt.Sprintf("board-%d", width))
	}
	// The other pages fit a phone too.
	dana.do("viewport 375", chromedp.EmulateViewport(375, 900))
	for _, page := range []struct{ path, ready string }{
		{fmt.Sprintf("/projects/%d/settings", project.ID), `!!document.querySelector('#project-name')`},
		{"/account", `!!document.querySelector('#profile-name')`},
		{"/account/sessions", `document.querySelector('[data-testid=sessions]')?.getAttribute('aria-busy') === null`},
		{"/forgot-password", `!!document.querySelector('#forgot-email') || !!document.querySelector('[data-testid=who]')`},
	} {
		dana.open(page.path)
		dana.waitFor(page.path, page.ready)
		if got := eval[int](dana, overflow); got > 0 {
			t.Errorf("%s at 375 px overflows sideways by %d px", page.path, got)
		}
		dana.shot("375" + slug(page.path))
	}
}
