package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/web"
)

// reservedPaths are never the web frontend's: an unknown path under them
// is a 404 problem document, not the app shell, so API clients and probes
// get an answer they can read.
var reservedPaths = []string{"/api", "/healthz", "/readyz", "/metrics"}

// MountStatic adds the web frontend to the router: h's files under its
// prefix (ONIT_STATIC_URL), /robots.txt and /favicon.ico at the root, and
// the app shell, index.html, for GET and HEAD of every other path that no
// route claims and that does not name a file, so client-side routes
// survive a reload. It runs after New (the frontend is not an /api/v1 module) and
// before the server starts serving.
func (s *Server) MountStatic(h *web.Handler) {
	prefix := h.Prefix()
	reserved := append([]string{strings.TrimSuffix(prefix, "/")}, reservedPaths...)
	isReserved := func(p string) bool {
		for _, r := range reserved {
			if p == r || strings.HasPrefix(p, r+"/") {
				return true
			}
		}
		return false
	}

	file := func(c echo.Context) error {
		req := c.Request()
		// The router matched the raw path; decide on the decoded one, and
		// refuse encoded separators outright: "%2f" or "%5c" in a file
		// name is an attempt to smuggle a path past the router.
		raw := strings.ToLower(req.URL.EscapedPath())
		if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
			return echo.ErrNotFound
		}
		name, ok := strings.CutPrefix(req.URL.Path, prefix)
		if !ok || !h.ServeFile(c.Response(), req, name) {
			return echo.ErrNotFound
		}
		return nil
	}
	index := func(c echo.Context) error {
		p := c.Request().URL.Path
		if isReserved(p) || web.IsFileName(p) || !h.ServeIndex(c.Response(), c.Request()) {
			return echo.ErrNotFound
		}
		return nil
	}
	e := s.e
	e.GET(prefix+"*", file)
	e.HEAD(prefix+"*", file)
	for _, name := range web.RootFiles {
		root := func(c echo.Context) error {
			if !h.ServeRoot(c.Response(), c.Request(), name) {
				return echo.ErrNotFound
			}
			return nil
		}
		e.GET("/"+name, root)
		e.HEAD("/"+name, root)
	}
	// GET and HEAD only, rather than RouteNotFound or Any: a catch-all for
	// every method would also catch DELETE /healthz, turning the router's
	// 405 for known paths into the frontend's answer.
	e.GET("/*", index)
	e.HEAD("/*", index)
	s.use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			// With the catch-all above, POST /api/v1/nope matches "/*" for
			// another method and the router says 405. Under the reserved
			// paths nothing exists there, so it stays the 404 it was.
			var he *echo.HTTPError
			if err != nil && c.Path() == "/*" && errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed &&
				isReserved(c.Request().URL.Path) {
				c.Response().Header().Del(echo.HeaderAllow)
				return echo.ErrNotFound
			}
			return err
		}
	})
}
