package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// registerMySessions adds the caller's sessions: list, revoke one, revoke
// all but the current one.
func (a *AccountsAPI) registerMySessions(api *echo.Group) {
	api.GET("/me/sessions", a.mySessions, a.Authenticate)
	api.DELETE("/me/sessions", a.revokeMyOtherSessions, a.Authenticate)
	api.DELETE("/me/sessions/:id", a.revokeMySession, a.Authenticate)
}

// sessionDTO is one of the caller's sessions. The token and its hash never
// leave the server.
type sessionDTO struct {
	ID         int64   `json:"id"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  string  `json:"expires_at"`
	UserAgent  string  `json:"user_agent"`
	ClientAddr string  `json:"client_addr"`
	Current    bool    `json:"current"`
}

func (a *AccountsAPI) mySessions(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	list, err := a.svc.MySessions(c.Request().Context(), p.User.ID)
	if err != nil {
		return err
	}
	out := listOut(list, func(s accounts.Session) sessionDTO {
		d := sessionDTO{ID: s.ID, CreatedAt: timestamp(s.CreatedAt), ExpiresAt: timestamp(s.ExpiresAt),
			UserAgent: s.UserAgent, ClientAddr: s.ClientAddr, Current: s.TokenHash == p.SessionHash}
		if s.LastUsedAt != nil {
			// Minute precision: finer would tell more than the list needs.
			t := timestamp(s.LastUsedAt.Truncate(time.Minute))
			d.LastUsedAt = &t
		}
		return d
	}, nil)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

// revokeMySession ends one session; ending the current one is a logout,
// so its cookie is cleared too.
func (a *AccountsAPI) revokeMySession(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	hash, err := a.svc.RevokeMySession(c.Request().Context(), p.User.ID, id)
	if err != nil {
		return err
	}
	if hash == p.SessionHash {
		a.clearCookie(c)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *AccountsAPI) revokeMyOtherSessions(c echo.Context) error {
	p, ok := principal(c)
	if !ok {
		return domain.ErrUnauthenticated
	}
	if _, err := a.svc.RevokeOtherSessions(c.Request().Context(), p.User.ID, p.SessionHash); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
