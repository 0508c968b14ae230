package onittest_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/bootstrap/onittest"
)

// examplesOf returns a media type's examples, named ("" for the single
// `example`).
func examplesOf(mt *openapi3.MediaType) map[string]any {
	out := map[string]any{}
	if mt.Example != nil {
		out[""] = mt.Example
	}
	for name, ex := range mt.Examples {
		if ex != nil && ex.Value != nil {
			out[name] = ex.Value.Value
		}
	}
	return out
}

// Every operation of the document, whoever wrote it, shows a developer
// what to send and what comes back: an example for every request body and
// every response that has one (success and problem alike), 500 and 503
// documented, and each example valid against its schema (JSON Schema
// 2020-12, as OpenAPI 3.1 uses), so no example lies.
func TestEveryOperationHasExamples(t *testing.T) {
	raw, err := httpapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := onittest.LoadDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkContent := func(where string, content openapi3.Content) {
		t.Helper()
		if len(content) == 0 {
			return
		}
		var types []string
		for ct := range content {
			types = append(types, ct)
		}
		sort.Strings(types)
		for _, ct := range types {
			mt := content[ct]
			exs := examplesOf(mt)
			if len(exs) == 0 {
				t.Errorf("%s %s has no example", where, ct)
				continue
			}
			if mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			for name, v := range exs {
				if err := mt.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
					t.Errorf("%s %s example %q does not match its schema: %v", where, ct, name, err)
				}
			}
		}
	}
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			name := method + " " + path
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				checkContent(name+" request", op.RequestBody.Value.Content)
			}
			success := false
			for status, resp := range op.Responses.Map() {
				if strings.HasPrefix(status, "2") {
					success = true
				}
				if resp.Value != nil {
					checkContent(name+" → "+status, resp.Value.Content)
				}
			}
			if !success {
				t.Errorf("%s documents no success response", name)
			}
			for _, status := range []string{"500", "503"} {
				if op.Responses.Value(status) == nil {
					t.Errorf("%s does not document %s", name, status)
				}
			}
		}
	}
	if ops < 30 {
		t.Fatalf("only %d operations seen", ops)
	}
}
