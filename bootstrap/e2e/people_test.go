package e2e_test

// Browser tests of the pages built on the password-reset, sessions and
// staff APIs. Where this build's API lacks an endpoint (it answers 404),
// the test says so and skips; with the API in place they run in full.

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/mail"
	"github.com/onitapp/onit/adapters/mail/mailtest"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/app/outbox"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

// skipWithoutAPI skips the test when this build's API lacks the
// operation: it is not in the OpenAPI document the server publishes (a
// request would answer 404, or 401 where unknown paths sit behind
// authentication).
func skipWithoutAPI(t *testing.T, app *onittest.App, method, path string) {
	t.Helper()
	r := app.Do(t, http.MethodGet, "/api/openapi.json", nil)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	r.JSON(t, &doc)
	if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
		t.Skipf("%s %s is not in this build's API (it answers 404): its page cannot be driven yet", method, path)
	}
}

// mailApp boots Onit sending its mail to a real SMTP server started for
// the test (STARTTLS on the test's certificate, AUTH PLAIN), with the
// outbox polled every 20 ms, so the email a person would open is the one
// the test reads.
func mailApp(t *testing.T) (*onittest.App, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "onit", Password: "smtp-pass"})
	app := onittest.New(t,
		onittest.WithSettings(func(s *env.Settings) {
			s.Email.EmailHost, s.Email.EmailPort = srv.Host, srv.Port
			s.Email.EmailUsername, s.Email.EmailPassword = "onit", "smtp-pass"
			s.Email.EmailFrom = "Onit <noreply@onit.example>"
			s.PasswordReset.PublicURL = "https://onit.example/"
		}),
		onittest.WithFx(
			fx.Decorate(func(c mail.Config) mail.Config { c.RootCAs = srv.RootCAs; return c }),
			fx.Decorate(func() outbox.Config {
				return outbox.Config{Interval: 20 * time.Millisecond, Backoff: func(int) time.Duration { return 20 * time.Millisecond }}
			}),
		))
	return app, srv
}

// resetLink is the link of a password-reset email.
var resetLink = regexp.MustCompile(`https://onit\.example(/reset-password\?token=\S+)`)

// resetPath waits for the password-reset email to, as the SMTP server
// received it, and returns its link's path and query, to open on the
// test's server.
func resetPath(t *testing.T, srv *mailtest.Server, to string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages() {
			if m.To != to {
				continue
			}
			if match := resetLink.FindStringSubmatch(m.Body); match != nil {
				return match[1]
			}
			t.Fatalf("the email to %s has no reset link:\n%s", to, m.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no email reached %s (the SMTP server holds %d)", to, len(srv.Messages()))
	return ""
}

// Forgotten password: the login page links to the request form, which
// answers the same for any address; the reset page refuses a bad token
// with a way to ask again; the link from the email, as the SMTP server
// received it, sets the new password once and the person logs in with it.
func TestPasswordResetPages(t *testing.T) {
	app, srv := mailApp(t)
	skipWithoutAPI(t, app, http.MethodPost, "/api/v1/auth/password-reset/confirm")
	browser := newBrowser(t)
	shots := outputDir(t)
	app.Register(t, "ada@example.com", goodPassword, "Ada Lovelace")

	ada := newPerson(t, browser, "ada", app.URL, shots)
	ada.open("/login")
	ada.do("forgot", chromedp.Click(chromedp.CSS("[data-testid=forgot-link]")))
	ada.waitFor("forgot page", `location.pathname === '/forgot-password' && !!document.querySelector('#forgot-email')`)
	ada.do("ask for a link", ada.fill("#forgot-email", "ada@example.com"), chromedp.Click(chromedp.CSS("[data-testid=forgot-submit]")))
	ada.waitFor("sent", `document.querySelector('[data-testid=forgot-sent]')?.hidden === false`)
	sentKnown := ada.text("[data-testid=forgot-sent]")
	ada.shot("01-link-sent")
	ada.do("ask for a stranger", ada.fill("#forgot-email", "nobody@example.com"), chromedp.Click(chromedp.CSS("[data-testid=forgot-submit]")))
	ada.waitFor("sent again", `document.querySelector('[data-testid=forgot-sent]')?.textContent.includes('nobody@example.com')`)
	if strings.ReplaceAll(ada.text("[data-testid=forgot-sent]"), "nobody@example.com", "ada@example.com") != sentKnown {
		t.Error("the page answers differently for an address without an account")
	}

	// No token, a bad token.
	ada.open("/reset-password")
	ada.waitFor("no token", `!!document.querySelector('main .form-error') && !document.querySelector('#reset-form')`)
	ada.open("/reset-password?token=not-a-real-token")
	ada.waitFor("reset form", `document.querySelectorAll('[data-testid=password-rules] li').length >= 1`)
	ada.do("bad token", ada.fill("#reset-new_password", "a brand new passphrase"), chromedp.Click(chromedp.CSS("[data-testid=reset-submit]")))
	ada.waitFor("token refused", `document.querySelector('[data-testid=reset-error]')?.hidden === false`)
	ada.shot("02-bad-token")

	// The link from the email.
	link := resetPath(t, srv, "ada@example.com")
	ada.open(link)
	ada.waitFor("reset form", `document.querySelectorAll('[data-testid=password-rules] li').length >= 1`)
	ada.do("weak password", ada.fill("#reset-new_password", "12345"), chromedp.Click(chromedp.CSS("[data-testid=reset-submit]")))
	ada.waitFor("weak refused", `document.querySelector('#reset-new_password-error')?.hidden === false && !!document.querySelector('[data-testid=password-rules] li.failed')`)
	ada.do("good password", ada.fill("#reset-new_password", "a brand new passphrase"), chromedp.Click(chromedp.CSS("[data-testid=reset-submit]")))
	ada.waitFor("at login", `location.pathname === '/login' && document.querySelector('#flash').textContent !== ''`)
	ada.shot("03-reset-done")
	ada.login("ada@example.com", "a brand new passphrase")
	ada.shot("04-logged-in")

	// The link works once.
	ada.do("log out", chromedp.Click(chromedp.CSS("[data-testid=logout]")))
	ada.waitFor("logged out", `location.pathname === '/login'`)
	ada.open(link)
	ada.waitFor("reset form again", `document.querySelectorAll('[data-testid=password-rules] li').length >= 1`)
	ada.do("reuse the link", ada.fill("#reset-new_password", "yet another passphrase"), chromedp.Click(chromedp.CSS("[data-testid=reset-submit]")))
	ada.waitFor("used link refused", `document.querySelector('[data-testid=reset-error]')?.hidden === false`)
	if r := app.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "ada@example.com", "password": goodPassword}); r.Status != http.StatusUnauthorized {
		t.Errorf("the old password still logs in: %d", r.Status)
	}
	for _, m := range srv.Messages() {
		if m.To != "ada@example.com" {
			t.Errorf("an email went to %s, who has no account", m.To)
		}
	}
}

// The sessions page lists where the person is logged in, marks this
// session, ends one, and ends all the others.
func TestSessionsPage(t *testing.T) {
	app := onittest.New(t)
	skipWithoutAPI(t, app, http.MethodGet, "/api/v1/me/sessions")
	browser := newBrowser(t)
	shots := outputDir(t)
	app.Register(t, "ada@example.com", goodPassword, "Ada Lovelace")
	apiToken := app.Login(t, "ada@example.com", goodPassword)

	laptop := newPerson(t, browser, "laptop", app.URL, shots)
	laptop.open("/login")
	laptop.login("ada@example.com", goodPassword)
	phone := newPerson(t, browser, "phone", app.URL, shots)
	phone.open("/login")
	phone.login("ada@example.com", goodPassword)

	laptop.open("/account")
	laptop.do("open sessions", chromedp.Click(chromedp.CSS("[data-testid=sessions-link]")))
	laptop.waitFor("sessions", `document.querySelector('[data-testid=sessions]')?.getAttribute('aria-busy') === null && document.querySelectorAll('[data-session-id]').length >= 3`)
	if n := eval[int](laptop, `document.querySelectorAll('[data-current=true]').length`); n != 1 {
		t.Errorf("%d sessions marked current, want 1", n)
	}
	laptop.shot("01-sessions")

	// End the oldest other session (the API token's), then all others.
	laptop.do("end one", chromedp.Click(chromedp.CSS(`[data-session-id]:last-child[data-current=false] [data-testid=revoke-session], [data-current=false] [data-testid=revoke-session]`)))
	laptop.confirm("")
	laptop.waitFor("one fewer", `document.querySelectorAll('[data-session-id]').length >= 2 && document.querySelector('#flash').textContent !== ''`)
	laptop.do("end the others", chromedp.Click(chromedp.CSS("[data-testid=revoke-others]")))
	laptop.confirm("")
	laptop.waitFor("only this one", `document.querySelectorAll('[data-session-id]').length === 1 && !!document.querySelector('[data-current=true]')`)
	laptop.shot("02-only-this-one")
	if r := app.Do(t, http.MethodGet, "/api/v1/me", nil, onittest.Bearer(apiToken)...); r.Status != http.StatusUnauthorized {
		t.Errorf("an ended session still answers %d", r.Status)
	}
	phone.do("phone goes on", chromedp.Click(chromedp.CSS(`.topnav a[href="/"]`)))
	phone.waitFor("phone logged out", `location.pathname === '/login'`)
}

// The staff console: hidden from everyone else (not found), and for staff
// a search, a person's details, deactivation and reactivation, ending
// their sessions, sending a reset email, and the audit log of it all.
func TestStaffConsole(t *testing.T) {
	browser := newBrowser(t)
	var accounts *appaccounts.Service
	app := onittest.New(t, onittest.WithFx(fx.Populate(&accounts)))
	shots := outputDir(t)
	if _, err := accounts.CreateSuperuser(context.Background(), "sam@example.com", "Sam Staff", goodPassword, false); err != nil {
		t.Fatalf("create staff user: %v", err)
	}
	app.Register(t, "bob@example.com", goodPassword, "Bob Builder")
	bobToken := app.Login(t, "bob@example.com", goodPassword)
	seedProject(t, app, bobToken, "Bob's shed", "")

	// Not staff: no link, and the page is "not found".
	bob := newPerson(t, browser, "bob", app.URL, shots)
	bob.open("/staff")
	bob.login("bob@example.com", goodPassword)
	bob.waitFor("not found", `!!document.querySelector('[data-testid=not-found]')`)
	if eval[bool](bob, `!!document.querySelector('[data-testid=nav-staff]')`) {
		t.Error("a person who is not staff is offered the staff console")
	}

	skipWithoutAPI(t, app, http.MethodGet, "/api/v1/admin/users")

	sam := newPerson(t, browser, "sam", app.URL, shots)
	sam.open("/login")
	sam.login("sam@example.com", goodPassword)
	sam.do("open the console", chromedp.Click(chromedp.CSS("[data-testid=nav-staff]")))
	sam.waitFor("console", `location.pathname === '/staff' && !!document.querySelector('#staff-q')`)
	sam.do("search", sam.fill("#staff-q", "bob"), chromedp.Click(chromedp.CSS("[data-testid=staff-search-submit]")))
	sam.waitFor("bob found", `[...document.querySelectorAll('[data-testid=staff-users] li')].some(li => li.textContent.includes('bob@example.com'))`)
	sam.do("open bob", chromedp.Click(chromedp.CSS(`[data-testid=staff-users] li[data-user-id] button`)))
	sam.waitFor("details", `document.querySelector('[data-testid=staff-detail]')?.hidden === false && document.querySelector('[data-testid=staff-projects]').textContent.includes("Bob's shed") && document.querySelector('[data-testid=staff-project-count]').textContent.endsWith('(1)')`)
	sam.shot("01-bob")

	sam.do("deactivate", chromedp.Click(chromedp.CSS("[data-testid=staff-deactivate]")))
	sam.confirm("bob@example.com")
	sam.waitFor("deactivated", `!!document.querySelector('[data-testid=staff-reactivate]')`)
	if r := app.Do(t, http.MethodGet, "/api/v1/me", nil, onittest.Bearer(bobToken)...); r.Status != http.StatusUnauthorized {
		t.Errorf("a deactivated person's session still answers %d", r.Status)
	}
	sam.do("reactivate", chromedp.Click(chromedp.CSS("[data-testid=staff-reactivate]")))
	sam.waitFor("active again", `!!document.querySelector('[data-testid=staff-deactivate]')`)
	sam.do("revoke sessions", chromedp.Click(chromedp.CSS("[data-testid=staff-revoke]")))
	sam.confirm("bob@example.com")
	// Deactivation already ended Bob's sessions, so the count reads 0 before
	// the revoke lands too; wait for its audit entry, which the page loads
	// only after it has drawn Bob's details again. Clicking the next button
	// before that redraw would click a node the redraw throws away.
	sam.waitFor("revoked", `document.querySelector('[data-testid=staff-sessions]')?.textContent === '0' && !!document.querySelector('[data-testid=audit-log] li[data-action=revoke_sessions]')`)
	sam.do("send reset", chromedp.Click(chromedp.CSS("[data-testid=staff-reset]")))
	sam.waitFor("audit log", `['deactivate', 'reactivate', 'revoke_sessions', 'password_reset'].every(a => !!document.querySelector('[data-testid=audit-log] li[data-action=' + a + ']'))`)
	sam.shot("02-audit-log")
}
