package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"sync"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"
)

// The OpenAPI document is written by hand, spec first, one fragment per
// module (base.yaml holds the shared parts). Document merges them; tests
// check that every registered route is documented and every documented
// operation is routed, and validate real responses against the schemas, so
// code and document cannot drift.
//
//go:embed openapi/*.yaml
var openapiFS embed.FS

var document = sync.OnceValues(buildDocument)

// Document returns the merged OpenAPI 3.1 document as JSON.
func Document() ([]byte, error) { return document() }

func buildDocument() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	// base.yaml first: it carries openapi, info and servers.
	sort.SliceStable(names, func(i, j int) bool { return path.Base(names[i]) == "base.yaml" })
	var doc map[string]any
	for _, name := range names {
		raw, err := openapiFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := yaml.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		if doc == nil {
			doc = part
			continue
		}
		if err := merge(doc, part, name); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// merge adds a fragment's paths and components to the document; a name
// defined twice is an error, so two modules cannot silently overwrite each
// other's schemas.
func merge(doc, part map[string]any, name string) error {
	for _, section := range []string{"paths", "components"} {
		src, ok := part[section].(map[string]any)
		if !ok {
			continue
		}
		dst, _ := doc[section].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			doc[section] = dst
		}
		if section == "paths" {
			for k, v := range src {
				if _, dup := dst[k]; dup {
					return fmt.Errorf("%s: path %s is defined twice", name, k)
				}
				dst[k] = v
			}
			continue
		}
		for kind, defs := range src {
			defsMap, _ := defs.(map[string]any)
			target, _ := dst[kind].(map[string]any)
			if target == nil {
				target = map[string]any{}
				dst[kind] = target
			}
			for k, v := range defsMap {
				if _, dup := target[k]; dup {
					return fmt.Errorf("%s: components.%s.%s is defined twice", name, kind, k)
				}
				target[k] = v
			}
		}
	}
	return nil
}

func (s *Server) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/json", s.openapi)
}
