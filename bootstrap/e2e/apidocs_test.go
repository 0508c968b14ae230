package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/onitapp/onit/bootstrap/onittest"
)

// The API docs page renders every operation of the OpenAPI document in a
// browser that can reach no host but the server's (every other name fails
// to resolve, as offline), under the page's CSP (a refused script, style,
// worker or connection is a console error, which fails the test), and
// asks for nothing from anywhere else.
func TestAPIDocsRenderOffline(t *testing.T) {
	app := onittest.New(t)
	browser := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"))
	shots := outputDir(t)

	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	app.Do(t, http.MethodGet, "/api/openapi.json", nil).JSON(t, &doc)
	var ids []string
	for _, item := range doc.Paths {
		for _, op := range item {
			if op.OperationID != "" {
				ids = append(ids, op.OperationID)
			}
		}
	}
	if len(ids) < 20 {
		t.Fatalf("only %d operations in the document", len(ids))
	}

	dev := newPerson(t, browser, "dev", app.URL, shots)
	var (
		mu   sync.Mutex
		reqs []string
	)
	if err := chromedp.Listen(dev.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			reqs = append(reqs, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	dev.do("watch the network", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))

	dev.open("/api/docs")
	dev.waitFor("every operation rendered", fmt.Sprintf(
		`document.querySelectorAll('[data-section-id^="operation/"]').length === %d`, len(ids)))
	for _, id := range []string{"login", "createTask", "apiDocs"} {
		sel := fmt.Sprintf(`[data-section-id="operation/%s"]`, id)
		if !eval[bool](dev, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
			t.Errorf("operation %s is not rendered", id)
		}
	}
	if title := dev.text("h1"); !strings.Contains(title, "Onit API") {
		t.Errorf("h1 = %q, want the document's title", title)
	}
	// Redoc's styles are in (the nonce let them through): its three-panel
	// layout puts the menu beside the content, not above it.
	if !eval[bool](dev, `(() => { const m = document.querySelector('.menu-content'); return !!m && getComputedStyle(m).position !== 'static'; })()`) {
		t.Error("Redoc's menu is unstyled: its styles were refused")
	}
	dev.shot("01-docs")

	// The search runs in a worker built from a Blob (worker-src blob:).
	dev.do("search", dev.fill(`input[aria-label=Search]`, "password"))
	dev.waitFor("search results", `[...document.querySelectorAll('[data-role="search:results"] li')].some(li => li.dataset.itemId.endsWith('/operation/changePassword'))`)
	dev.shot("02-search")

	mu.Lock()
	defer mu.Unlock()
	if len(reqs) == 0 {
		t.Fatal("no request was seen: the network was not watched")
	}
	for _, u := range reqs {
		if !strings.HasPrefix(u, app.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:"+app.URL+"/") {
			t.Errorf("the docs page asked for %s, off its origin", u)
		}
	}
}
