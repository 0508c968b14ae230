package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain/accounts"
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
//
// Every request sets it once or twice, so the supported languages' values
// are prepared once (see languageValues): no boxing of the string, no
// header slice per call.
func setLanguage(c echo.Context, lang string) {
	if lang == "" {
		return
	}
	if v, ok := languageValues[lang]; ok {
		c.Set(ctxLanguage, v.boxed)
		c.Response().Header()["Content-Language"] = v.header
		return
	}
	c.Set(ctxLanguage, lang)
	c.Response().Header().Set("Content-Language", lang)
}

// languageValue is a language as an interface value and as a header value,
// made once.
type languageValue struct {
	boxed  any
	header []string // capacity equals length: shared, never written in place
}

// languageValues covers every language a user may save, which is every
// language the catalogs carry (see accounts.Languages). It is read-only
// after init, so requests read it without a lock.
var languageValues = func() map[string]languageValue {
	m := make(map[string]languageValue, len(accounts.Languages))
	for _, l := range accounts.Languages {
		m[l] = languageValue{boxed: l, header: []string{l}[:1:1]}
	}
	return m
}()

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
