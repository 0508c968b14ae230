package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// corsMaxAge is how long a browser may reuse a preflight answer (seconds).
const corsMaxAge = 600

var (
	corsMethods = strings.Join([]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch,
		http.MethodPut, http.MethodDelete}, ", ")
	corsHeaders = strings.Join([]string{"Authorization", "Content-Type", "If-Match", "If-None-Match",
		"Idempotency-Key", "Accept-Language", "X-Request-ID"}, ", ")
	corsExposed = strings.Join([]string{"ETag", "Retry-After", "X-Request-ID", "Location", "Content-Language"}, ", ")
)

// cors answers cross-origin requests from the exact origins configured
// (ONIT_CORS_ALLOWED_ORIGINS), credentials included, and nothing else. A
// "*" entry matches nothing: with credentials it would let any site act
// as the user (`onit check --deploy` flags it, W072). It runs before
// authentication, so a preflight (which carries no credentials) gets its
// answer, 204, instead of a 401. With no origins it is not installed.
func cors(origins []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req, h := c.Request(), c.Response().Header()
			origin := req.Header.Get(echo.HeaderOrigin)
			h.Add(echo.HeaderVary, echo.HeaderOrigin)
			allowed := origin != "" && origin != "*" && slices.Contains(origins, origin)
			preflight := req.Method == http.MethodOptions && req.Header.Get(echo.HeaderAccessControlRequestMethod) != ""
			if !allowed {
				if preflight {
					// No CORS headers: the browser refuses the real request.
					return c.NoContent(http.StatusNoContent)
				}
				return next(c)
			}
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			h.Set(echo.HeaderAccessControlAllowCredentials, "true")
			if !preflight {
				h.Set(echo.HeaderAccessControlExposeHeaders, corsExposed)
				return next(c)
			}
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestMethod)
			h.Add(echo.HeaderVary, echo.HeaderAccessControlRequestHeaders)
			h.Set(echo.HeaderAccessControlAllowMethods, corsMethods)
			h.Set(echo.HeaderAccessControlAllowHeaders, corsHeaders)
			h.Set(echo.HeaderAccessControlMaxAge, strconv.Itoa(corsMaxAge))
			return c.NoContent(http.StatusNoContent)
		}
	}
}
