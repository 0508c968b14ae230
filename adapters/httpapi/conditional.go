package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// Resource kinds named in ETags.
const (
	kindTask    = "task"
	kindProject = "project"
)

// etag is the strong validator of a resource version:
// "<kind>-<id>-<version>". The kind keeps one resource's tag from ever
// satisfying If-Match on another kind with the same id and version.
func etag(kind string, id, version int64) string {
	// Built by hand: fmt.Sprintf costs two allocations more on every read.
	b := make([]byte, 0, 52)
	b = append(b, '"')
	b = append(b, kind...)
	b = append(b, '-')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, version, 10)
	return string(append(b, '"'))
}

// created writes a 201; a replayed idempotent request says so in a header.
func created(c echo.Context, replayed bool, tag string, body any) error {
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	if tag != "" {
		c.Response().Header().Set("ETag", tag)
	}
	return sendJSON(c, http.StatusCreated, body)
}

// conditionalGet answers 304 when If-None-Match lists the current ETag
// (weak comparison, as RFC 9110 prescribes for it), else 200 with the body.
func conditionalGet(c echo.Context, tag string, body any) error {
	h := c.Response().Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, no-cache")
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		for _, t := range splitTags(inm) {
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return c.NoContent(http.StatusNotModified)
			}
		}
	}
	return sendJSON(c, http.StatusOK, body)
}

// ifMatchVersions reads If-Match for resource id of kind: nil when absent or "*"
// (any version), else the versions of the listed strong tags, which may be
// empty (nothing can match: 412). Weak tags never match (strong comparison);
// a header that is not a list of quoted tags is 400.
func ifMatchVersions(c echo.Context, kind string, id int64) ([]int64, error) {
	h := c.Request().Header.Get("If-Match")
	if h == "" {
		return nil, nil
	}
	versions := []int64{}
	for _, t := range splitTags(h) {
		if t == "*" {
			return nil, nil
		}
		weak := strings.HasPrefix(t, "W/")
		t = strings.TrimPrefix(t, "W/")
		if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
			return nil, badHeader("If-Match")
		}
		rest, sameKind := strings.CutPrefix(t[1:len(t)-1], kind+"-")
		rid, ver, ok := strings.Cut(rest, "-")
		if weak || !sameKind || !ok || rid != strconv.FormatInt(id, 10) {
			continue
		}
		if v, err := strconv.ParseInt(ver, 10, 64); err == nil {
			versions = append(versions, v)
		}
	}
	return versions, nil
}

func splitTags(h string) []string {
	parts := strings.Split(h, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func badHeader(name string) error {
	e := domain.Invalid(domain.FieldError{Field: name, Code: "etag", Key: "validation.etag"})
	e.Kind, e.Key = domain.KindBadRequest, "error.invalid_header"
	return e
}
