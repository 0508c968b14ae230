package onittest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/onitapp/onit/adapters/httpapi"
)

// specValidator checks responses against the served OpenAPI document.
type specValidator struct {
	doc    *openapi3.T
	router routers.Router
}

// The docs page and its scripts are documented as strings of HTML and
// JavaScript; kin has no decoder for those types, and the raw text is what
// the schema describes.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.FileBodyDecoder)
}

func loadSpec(t testing.TB) *specValidator {
	t.Helper()
	raw, err := httpapi.Document()
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	doc, err := LoadDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	return &specValidator{doc: doc, router: router}
}

// LoadDocument parses and validates the OpenAPI document.
func LoadDocument(raw []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return doc, nil
}

// check validates one exchange: the route must be documented, the status
// must be listed for it and the body must match the schema.
func (v *specValidator) check(t testing.TB, req *http.Request, body []byte, r *Response) {
	t.Helper()
	vreq := req.Clone(context.Background())
	// The document's server is "/", so the router matches on the path alone.
	vreq.URL.Scheme, vreq.URL.Host = "", ""
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(vreq)
	if err != nil {
		if r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed {
			return // an undocumented path or method: the router refused it too
		}
		t.Errorf("%s %s (%d) is not in the OpenAPI document: %v", req.Method, req.URL.Path, r.Status, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: r.Status,
		Header: r.Header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}
