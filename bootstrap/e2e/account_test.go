package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onitapp/onit/bootstrap/onittest"
)

// contrastJS defines contrast(a, b): the WCAG contrast ratio of two CSS
// colours as getComputedStyle writes them (rgb()/rgba(), alpha ignored).
const contrastJS = `const lum = (c) => { const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };`

// evalAsync evaluates an expression whose value is a promise.
func evalAsync[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// After a page load Tab reaches the skip link, the navigation and the
// language picker before the view; the focus ring and the form controls'
// borders stand out at 3:1 at least; robots.txt and favicon.ico are files.
func TestKeyboardOrderAndContrast(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	app.Register(t, "ada@example.com", goodPassword, "Ada Lovelace")
	token := app.Login(t, "ada@example.com", goodPassword)
	project := seedProject(t, app, token, "Moon landing", "")
	seedTask(t, app, token, project, map[string]any{"title": "Build the rocket"})

	ada := newPerson(t, browser, "ada", app.URL, shots)
	ada.open("/login")
	ada.login("ada@example.com", goodPassword)
	ada.open(fmt.Sprintf("/projects/%d", project)) // a fresh page load
	ada.boardLoaded(1)
	var order []string
	for range 6 {
		ada.do("tab", chromedp.KeyEvent("\t"))
		order = append(order, eval[string](ada, `(() => { const a = document.activeElement; return a.id || a.dataset.testid || a.getAttribute('href') || a.tagName; })()`))
	}
	want := []string{"skip-link", "/", "/", "who", "logout", "lang-select"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("first six Tab stops = %v, want %v (skip link, brand, navigation, language picker)", order, want)
	}
	ada.do("skip to content", chromedp.KeyEvent("\t", chromedp.KeyModifiers(8)), chromedp.Focus(chromedp.CSS("#skip-link")), chromedp.KeyEvent("\r"))
	ada.waitFor("main focused", `document.activeElement?.id === 'main'`)

	// The focus ring against the page, and input borders against their
	// own background and the page.
	ada.do("focus the search field", chromedp.Focus(chromedp.CSS("#filter-q")))
	ratios := eval[[]float64](ada, `(() => { `+contrastJS+`
		const bg = getComputedStyle(document.documentElement).backgroundColor;
		const col = getComputedStyle(document.querySelector('.column')).backgroundColor;
		const q = getComputedStyle(document.querySelector('#filter-q'));
		const sel = getComputedStyle(document.querySelector('[data-testid=move]'));
		return [contrast(q.outlineColor, bg), contrast(q.outlineColor, col), contrast(q.borderTopColor, q.backgroundColor),
			contrast(q.borderTopColor, bg), contrast(sel.borderTopColor, col)]; })()`)
	names := []string{"focus ring on the page", "focus ring on a column", "input border on its fill", "input border on the page", "select border on a column"}
	colours := eval[string](ada, `(() => { const q = getComputedStyle(document.querySelector('#filter-q')); return [q.outlineColor, q.outlineStyle, q.borderTopColor, getComputedStyle(document.documentElement).backgroundColor].join(' | '); })()`)
	for i, r := range ratios {
		if r < 3 {
			t.Errorf("%s: contrast %.2f:1, want at least 3:1 (%s)", names[i], r, colours)
		}
	}
	if eval[string](ada, `getComputedStyle(document.querySelector('#filter-q')).outlineStyle`) == "none" {
		t.Error("a focused field shows no focus ring")
	}
	ada.shot("01-focus-ring")

	// robots.txt and favicon.ico are what their names say, not the app.
	got := evalAsync[[]string](ada, `(async () => { const r = await fetch('/robots.txt'); const f = await fetch('/favicon.ico');
		return [String(r.status), r.headers.get('Content-Type'), (await r.text()).slice(0, 400), String(f.status), f.headers.get('Content-Type')]; })()`)
	if got[0] != "200" || !strings.HasPrefix(got[1], "text/plain") || !strings.Contains(got[2], "User-agent") || got[3] != "200" || got[4] != "image/vnd.microsoft.icon" {
		t.Errorf("robots.txt and favicon.ico: %q", got)
	}
}

// The login page in every language: switching language keeps the typed
// email; then the account page (profile and password) in that language.
func TestAccountInEveryLanguage(t *testing.T) {
	browser := newBrowser(t)
	app := onittest.New(t)
	shots := outputDir(t)
	titles := map[string]string{"en": "Log in", "es": "Iniciar sesión", "fr": "Connexion", "de": "Anmelden"}
	account := map[string]string{"en": "Your account", "es": "Tu cuenta", "fr": "Votre compte", "de": "Ihr Konto"}
	for _, lang := range []string{"en", "es", "fr", "de"} {
		t.Run(lang, func(t *testing.T) {
			email := lang + "@example.com"
			// Registered in that language: after login the saved language
			// is the one the app uses.
			if r := app.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": goodPassword, "name": "Person " + lang, "language": lang}); r.Status != http.StatusCreated {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			p := newPerson(t, browser, lang, app.URL, shots)
			p.t = t
			p.open("/login")
			p.waitFor("login form", `!!document.querySelector('#login-email')`)
			p.do("type the email", p.fill("#login-email", email))
			p.do("switch language", chromedp.Focus(chromedp.CSS("#lang-select")), choose("#lang-select", lang))
			p.waitFor("translated", fmt.Sprintf(`document.documentElement.lang === %q && document.querySelector('main h1')?.textContent === %q`, lang, titles[lang]))
			if got := eval[string](p, `document.querySelector('#login-email').value`); got != email {
				t.Errorf("after switching to %s the email field holds %q, want %q", lang, got, email)
			}
			if got := eval[string](p, `document.activeElement?.id ?? ''`); got != "lang-select" {
				t.Errorf("focus after switching language is on %q, want the language picker", got)
			}
			p.shot("01-login")
			p.do("log in", p.fill("#login-password", goodPassword), chromedp.Click(chromedp.CSS("[data-testid=login-submit]")))
			p.waitFor("logged in", `location.pathname === '/' && !!document.querySelector('[data-testid=who]')`)

			p.do("open account", chromedp.Click(chromedp.CSS("[data-testid=who]")))
			p.waitFor("account page", fmt.Sprintf(`document.querySelector('main h1')?.textContent === %q && document.querySelector('#profile-language').value === %q`, account[lang], lang))
			p.do("rename", p.fill("#profile-name", "Renamed "+lang), chromedp.Click(chromedp.CSS("[data-testid=profile-save]")))
			p.waitFor("renamed", fmt.Sprintf(`document.querySelector('[data-testid=who]').textContent.includes(%q)`, "Renamed "+lang))
			// A wrong current password is refused on its field.
			p.do("wrong current password",
				p.fill("#password-current_password", "not my password"),
				p.fill("#password-new_password", "another fine passphrase"),
				chromedp.Click(chromedp.CSS("[data-testid=password-save]")))
			p.waitFor("refused", `document.querySelector('#password-current_password-error')?.hidden === false || document.querySelector('#password-form .form-error')?.hidden === false`)
			p.shot("02-account")
			p.do("change password",
				p.fill("#password-current_password", goodPassword),
				chromedp.Click(chromedp.CSS("[data-testid=password-save]")))
			p.waitFor("changed", `document.querySelector('#password-current_password').value === '' && document.querySelector('#flash').textContent !== ''`)
			if r := app.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": "another fine passphrase"}); r.Status != http.StatusOK {
				t.Errorf("the new password does not log in: %d", r.Status)
			}
			var me struct {
				Name     string `json:"name"`
				Language string `json:"language"`
			}
			app.Do(t, http.MethodGet, "/api/v1/me", nil, onittest.Bearer(app.Login(t, email, "another fine passphrase"))...).JSON(t, &me)
			if me.Name != "Renamed "+lang || me.Language != lang {
				t.Errorf("saved profile = %+v", me)
			}
			p.shot("03-password-changed")
		})
	}
}
