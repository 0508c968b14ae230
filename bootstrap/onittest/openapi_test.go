package onittest_test

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/adapters/web"
	"github.com/onitapp/onit/bootstrap/onittest"
)

var echoParam = regexp.MustCompile(`:([a-zA-Z_]+)`)

// Every registered route is documented and every documented operation is
// routed: a handler without documentation, or documentation without a
// handler, fails here.
func TestRoutesAndDocumentAgree(t *testing.T) {
	app := onittest.New(t)
	raw, err := httpapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := onittest.LoadDocument(raw)
	if err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, r := range app.Server.Routes() {
		if strings.HasPrefix(r.Method, "echo_route_") || strings.HasPrefix(r.Path, "/static") || r.Path == "/*" || r.Path == "/" ||
			slices.Contains(web.RootFiles, strings.TrimPrefix(r.Path, "/")) {
			continue // the frontend's files and catch-all, not API
		}
		routed[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is not in the OpenAPI document", k)
	}
	for _, k := range extra {
		t.Errorf("documented operation %s has no route", k)
	}
}

func TestServesTheDocument(t *testing.T) {
	app := onittest.New(t)
	r := app.Do(t, "GET", "/api/openapi.json", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"openapi":"3.1.0"`) {
		t.Fatalf("GET /api/openapi.json = %d %.200s", r.Status, r.Body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	app := onittest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := app.Do(t, "GET", path, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s = %d %s", path, r.Status, r.Body)
		}
	}
}
