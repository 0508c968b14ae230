package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// Principal is the authenticated caller, set by AccountsAPI.Authenticate.
type Principal struct {
	User        accounts.User
	SessionHash string // the session's stored hash, never the token
	ViaCookie   bool   // authenticated by the session cookie (CSRF applies)
}

// Authenticate is the middleware of every authenticated route of every
// module. It accepts "Authorization: Bearer <token>" or the session cookie
// (the bearer token wins when both are sent), refuses cross-origin unsafe
// requests authenticated by cookie, and sets the principal and the user's
// saved language, which wins over Accept-Language. A session this instance
// already knows costs no round trip (appaccounts.Service.Authenticate).
func (a *AccountsAPI) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		token, viaCookie, ok := a.credentials(req)
		if !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="onit"`)
			return domain.ErrUnauthenticated
		}
		// Checked before the session is looked up: a forged request must not
		// even cost a cache read, and its answer must not tell whether the
		// victim's session is live.
		if viaCookie {
			if err := a.sameOrigin(req); err != nil {
				return err
			}
		}
		u, sess, err := a.svc.Authenticate(req.Context(), token)
		if err != nil {
			if domain.IsKind(err, domain.KindUnauthenticated) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="onit"`)
				if viaCookie {
					// A dead session's cookie would otherwise be sent forever.
					a.clearCookie(c)
				}
			}
			return err
		}
		setPrincipal(c, Principal{User: u, SessionHash: sess.TokenHash, ViaCookie: viaCookie})
		setLanguage(c, u.Language)
		return next(c)
	}
}

// credentials finds the token. A present but malformed Authorization
// header is refused rather than ignored, so a client bug does not silently
// fall back to a cookie it did not mean to use.
func (a *AccountsAPI) credentials(req *http.Request) (token string, viaCookie, ok bool) {
	if h := req.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, tok, found := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", false, false
		}
		return tok, false, true
	}
	if ck, err := req.Cookie(a.sessions.CookieName); err == nil && ck.Value != "" {
		return ck.Value, true, true
	}
	return "", false, false
}

// sameOrigin refuses a cross-origin unsafe request (Go's
// CrossOriginProtection: Sec-Fetch-Site, else Origin against Host, with the
// trusted origins from ONIT_CSRF_TRUSTED_ORIGINS). Safe methods and
// requests without either header (non-browser clients) pass.
func (a *AccountsAPI) sameOrigin(req *http.Request) error {
	if err := a.cop.Check(req); err != nil {
		return accounts.ErrCSRF.Wrap(err)
	}
	return nil
}

// setCookie hands the session token to a browser. Expires accompanies
// Max-Age for old clients; both end with the session.
func (a *AccountsAPI) setCookie(c echo.Context, token string, expires time.Time, now time.Time) {
	c.SetCookie(&http.Cookie{
		Name:     a.sessions.CookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   max(1, int(expires.Sub(now).Seconds())),
		Expires:  expires.UTC(),
		HttpOnly: a.sessions.CookieHTTPOnly,
		Secure:   a.sessions.CookieSecure,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie tells the browser to drop the session cookie.
func (a *AccountsAPI) clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name:     a.sessions.CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Expires:  time.Unix(0, 0).UTC(),
		HttpOnly: a.sessions.CookieHTTPOnly,
		Secure:   a.sessions.CookieSecure,
		SameSite: http.SameSiteLaxMode,
	})
}
