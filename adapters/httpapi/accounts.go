package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// SessionCookie is how the session cookie is sent.
type SessionCookie struct {
	CookieName     string
	CookieSecure   bool
	CookieHTTPOnly bool
}

// AccountsAPI serves registration, login sessions, the caller's profile and
// password, and provides the authentication middleware of every module.
type AccountsAPI struct {
	svc      *appaccounts.Service
	sessions SessionCookie
	cat      *i18n.Catalog
	cop      *http.CrossOriginProtection
	log      *slog.Logger
	bodies   userBodies
}

// NewAccountsAPI builds the accounts handlers. trustedOrigins may send
// cookie-authenticated unsafe requests from other origins; entries that do
// not parse are logged and skipped, and the check stays strict for them.
func NewAccountsAPI(svc *appaccounts.Service, sessions SessionCookie, trustedOrigins []string, log *slog.Logger, cat *i18n.Catalog) *AccountsAPI {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := cop.AddTrustedOrigin(strings.TrimSpace(o)); err != nil {
			log.Warn("ignoring invalid ONIT_CSRF_TRUSTED_ORIGINS entry", "origin", o, "err", err)
		}
	}
	return &AccountsAPI{svc: svc, sessions: sessions, cat: cat, cop: cop, log: log}
}

// Register adds the accounts routes to the /api/v1 group.
func (a *AccountsAPI) Register(api *echo.Group) {
	api.POST("/auth/register", a.register)
	api.POST("/auth/login", a.login)
	api.POST("/auth/logout", a.logout, a.Authenticate)
	api.GET("/auth/password-rules", a.passwordRules)
	api.GET("/me", a.me, a.Authenticate)
	api.PATCH("/me", a.updateMe, a.Authenticate)
	api.POST("/me/password", a.changePassword, a.Authenticate)
	a.registerPasswordReset(api) // password_reset.go
	a.registerMySessions(api)    // me_sessions.go
}

// userDTO is the contract's User.
type userDTO struct {
	ID         int64   `json:"id"`
	Email      string  `json:"email"`
	Name       string  `json:"name"`
	Language   string  `json:"language"`
	IsStaff    bool    `json:"is_staff"`
	DateJoined string  `json:"date_joined"`
	LastLogin  *string `json:"last_login"`
}

func userFromDomain(u accounts.User) userDTO {
	d := userDTO{ID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language, IsStaff: u.IsStaff,
		DateJoined: timestamp(u.DateJoined)}
	if u.LastLogin != nil {
		s := timestamp(*u.LastLogin)
		d.LastLogin = &s
	}
	return d
}

// timestamp formats t as the contract's RFC 3339 UTC, to the second.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// userETag is a strong validator of the user's representation: it changes
// exactly when the JSON a client would see changes, and names its kind as
// every ETag does.
func userETag(u accounts.User) string {
	_, tag := userBody(u)
	return tag
}

// registerRequest has no validate tags: the service checks the profile and
// runs the password validators together, so one 422 lists every failure.
type registerRequest struct {
	Email    string  `json:"email"`
	Password string  `json:"password"`
	Name     string  `json:"name"`
	Language *string `json:"language"`
}

func (a *AccountsAPI) register(c echo.Context) error {
	var in registerRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	lang := language(c)
	if in.Language != nil {
		lang = *in.Language
	}
	u, err := a.svc.Register(c.Request().Context(), appaccounts.RegisterInput{
		Email: in.Email, Password: in.Password, Name: in.Name, Language: lang, ClientAddr: c.RealIP()})
	if err != nil {
		return err
	}
	setLanguage(c, u.Language)
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/me")
	return c.JSON(http.StatusCreated, userFromDomain(u))
}

type loginRequest struct {
	Email    string `json:"email" validate:"required"`
	Password string `json:"password" validate:"required"`
}

type loginResponse struct {
	Token     string  `json:"token"`
	ExpiresAt string  `json:"expires_at"`
	User      userDTO `json:"user"`
}

// login answers the token in the body (for bearer clients) and as the
// session cookie (for browsers). Because it sets the cookie it is refused
// cross-origin, as Django's csrf-protected login view is: otherwise a
// foreign page could log a victim's browser into the attacker's account.
func (a *AccountsAPI) login(c echo.Context) error {
	req := c.Request()
	if err := a.sameOrigin(req); err != nil {
		return err
	}
	var in loginRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	l, err := a.svc.Login(req.Context(), appaccounts.LoginInput{Email: in.Email, Password: in.Password,
		ClientAddr: c.RealIP(), UserAgent: req.UserAgent()})
	if err != nil {
		return err
	}
	a.setCookie(c, l.Token, l.Session.ExpiresAt, l.Session.CreatedAt)
	setLanguage(c, l.User.Language)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, loginResponse{Token: l.Token, ExpiresAt: timestamp(l.Session.ExpiresAt), User: userFromDomain(l.User)})
}

func (a *AccountsAPI) logout(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	if err := a.svc.Logout(c.Request().Context(), p.SessionHash); err != nil {
		return err
	}
	a.clearCookie(c)
	return c.NoContent(http.StatusNoContent)
}

// me answers from the principal: on a warm instance GET /me costs no MySQL
// query and no Redis command (the budget test checks it).
func (a *AccountsAPI) me(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	return a.userResponse(c, p.User, true)
}

// userResponse writes the user with its ETag; a matching If-None-Match
// gets 304 when conditional is set (GET only).
func (a *AccountsAPI) userResponse(c echo.Context, u accounts.User, conditional bool) error {
	h := c.Response().Header()
	blob, tag := a.bodies.get(u)
	h.Set("ETag", tag)
	h.Set(echo.HeaderCacheControl, "private, no-cache")
	h.Add(echo.HeaderVary, "Authorization, Cookie")
	if conditional && etagMatches(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	// The bytes the tag was computed from, with the newline c.JSON's
	// encoder would have added.
	return c.JSONBlob(http.StatusOK, blob)
}

// etagMatches reports whether a comma-separated If-None-Match or If-Match
// list names tag, or is "*". Weak validators compare as their strong form
// (If-None-Match uses weak comparison; our tags are all strong).
func etagMatches(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// updateMeRequest distinguishes absent fields (nil: unchanged) from empty
// ones (checked by the domain: an empty name is refused).
type updateMeRequest struct {
	Name     *string `json:"name"`
	Language *string `json:"language"`
}

func (a *AccountsAPI) updateMe(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	var in updateMeRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	upd := appaccounts.UpdateMe{Name: in.Name, Language: in.Language}
	if ifMatch := c.Request().Header.Get("If-Match"); ifMatch != "" {
		// Compared under the row lock, so a concurrent change cannot slip in
		// between the check and the write. If-Match uses strong comparison.
		upd.Precondition = func(cur accounts.User) bool {
			tag := userETag(cur)
			for t := range strings.SplitSeq(ifMatch, ",") {
				if t = strings.TrimSpace(t); t == "*" || t == tag {
					return true
				}
			}
			return false
		}
	}
	u, err := a.svc.UpdateMe(c.Request().Context(), p.User.ID, upd)
	if err != nil {
		return err
	}
	setLanguage(c, u.Language)
	return a.userResponse(c, u, false)
}

// changePasswordRequest has no validate tags, for the same reason as
// registerRequest.
type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *AccountsAPI) changePassword(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	var in changePasswordRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	err := a.svc.ChangePassword(c.Request().Context(), appaccounts.ChangePasswordInput{
		UserID: p.User.ID, KeepSessionHash: p.SessionHash,
		CurrentPassword: in.CurrentPassword, NewPassword: in.NewPassword})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type passwordRuleDTO struct {
	Code     string `json:"code"`
	HelpText string `json:"help_text"`
}

type passwordRulesResponse struct {
	Rules []passwordRuleDTO `json:"rules"`
}

// passwordRules lists the enabled validators' help texts in the negotiated
// language, each with the code its failure carries in errors[].
func (a *AccountsAPI) passwordRules(c echo.Context) error {
	lang := language(c)
	out := passwordRulesResponse{Rules: []passwordRuleDTO{}}
	for _, r := range a.svc.PasswordRules() {
		out.Rules = append(out.Rules, passwordRuleDTO{Code: r.Code, HelpText: a.cat.T(lang, r.Key, r.Params)})
	}
	c.Response().Header().Add(echo.HeaderVary, "Accept-Language")
	return c.JSON(http.StatusOK, out)
}
