package httpapi

import (
	"github.com/labstack/echo/v4"
)

// Keys of values the middleware chain leaves in echo.Context. Only this
// package reads them: echo.Context never leaves the HTTP adapter.
const (
	ctxLanguage  = "onit.language"
	ctxPrincipal = "onit.principal"
)

// language is the negotiated language of the request.
func language(c echo.Context) string {
	if l, ok := c.Get(ctxLanguage).(string); ok {
		return l
	}
	return ""
}

// setLanguage records the language for messages and Content-Language. The
// authentication middleware calls it with the user's saved language, which
// the contract puts before Accept-Language.
func setLanguage(c echo.Context, lang string) {
	if lang == "" {
		return
	}
	c.Set(ctxLanguage, lang)
	c.Response().Header().Set("Content-Language", lang)
}

// principal returns who is calling, as set by the authentication middleware.
func principal(c echo.Context) (Principal, bool) {
	p, ok := c.Get(ctxPrincipal).(Principal)
	return p, ok
}

// setPrincipal records the authenticated caller.
func setPrincipal(c echo.Context, p Principal) { c.Set(ctxPrincipal, p) }

// requestID returns the request's ID (echoed from X-Request-ID or generated).
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
