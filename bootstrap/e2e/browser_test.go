package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onitapp/onit/env"
)

// chromiumNames are where Debian (apt-get install chromium) and other
// systems put the browser.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"}

// findChromium returns the browser's path. Without one the test skips,
// unless ONIT_TEST_REQUIRE_SERVICES is set (CI), where a missing browser
// must fail rather than turn the end-to-end tests into silent skips.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatalf("read test settings: %v", err)
	}
	msg := "no Chromium binary found (looked for " + strings.Join(chromiumNames, ", ") +
		"); install it with: apt-get update && apt-get install -y chromium"
	if ts.Require {
		t.Fatal(msg + " (ONIT_TEST_REQUIRE_SERVICES is set, so this is a failure)")
	}
	t.Skip(msg)
	return ""
}

// outputDir is where screenshots go: .testoutput/e2e at the module root
// (git-ignored), emptied per test so old pictures cannot mislead.
func outputDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, ".testoutput", "e2e", t.Name())
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// newBrowser starts one headless Chromium for the test, with a fresh
// profile and none of its background traffic; extra options add to the
// defaults.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := findChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), // small /dev/shm in containers
		chromedp.Flag("lang", "en-US"),
	}
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Run starts the browser, and must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return ctx
}

// person is one browser profile (its own cookies and storage) driving the
// app, as one human would.
type person struct {
	t      *testing.T
	name   string
	ctx    context.Context
	base   string
	shots  string
	mu     sync.Mutex
	errors []string
}

// newPerson opens a tab in a new browser context of browser: a separate
// cookie jar, so two people never share a session.
func newPerson(t *testing.T, browser context.Context, name, baseURL, shots string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &person{t: t, name: name, ctx: ctx, base: baseURL, shots: shots}
	// Subscribe before the first page loads so no message is missed.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Failed API calls (401 at start, 404, 422) are logged by the
			// browser as errors and are expected; exceptions and CSP
			// refusals are bugs.
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
				p.mu.Lock()
				p.errors = append(p.errors, m.String())
				p.mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab for %s: %v", name, err)
	}
	t.Cleanup(p.checkConsole)
	return p
}

func (p *person) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		p.t.Errorf("%s's browser console: %s", p.name, e)
	}
}

// do runs steps with a time limit; on failure it saves a screenshot of what
// the person saw and stops the test.
func (p *person) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		shot := p.shot("FAILED-" + slug(what))
		p.t.Fatalf("%s: %s: %v (screenshot %s)", p.name, what, err, shot)
	}
}

// waitFor polls a JavaScript predicate until it is true.
func (p *person) waitFor(what, predicate string) {
	p.t.Helper()
	p.do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(15*time.Second))(ctx, t)
		return err
	}))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// open loads a path of the app.
func (p *person) open(path string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.base+path))
}

// fill replaces an input's text, typing it as a person would.
func (p *person) fill(sel, text string) chromedp.Action[chromedp.Void] {
	// chromedp.Clear refuses an empty textarea, so empty it from script.
	clear := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.WaitVisible(chromedp.CSS(sel))(ctx, t); err != nil {
			return err
		}
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q).value = ''; return true; })()`, sel))(ctx, t)
		return err
	})
	return chromedp.Steps(clear, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks a <select> option the way a change by hand does, firing
// the change event the app listens to.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.WaitVisible(chromedp.CSS(sel))(ctx, t); err != nil {
			return err
		}
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = errors.New("select not changed")
		}
		return err
	})
}

// shot saves a full-page screenshot and returns its path.
func (p *person) shot(name string) string {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		p.t.Logf("%s: screenshot %s: %v", p.name, name, err)
		return ""
	}
	path := filepath.Join(p.shots, slug(p.name)+"-"+name+".png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Logf("write screenshot: %v", err)
		return ""
	}
	return path
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// text returns the trimmed text content of the first element matching sel.
func (p *person) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '').trim()`, sel))
}
