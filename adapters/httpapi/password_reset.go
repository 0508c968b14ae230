package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// registerPasswordReset adds the password-reset routes (no authentication:
// the person has forgotten their password).
func (a *AccountsAPI) registerPasswordReset(api *echo.Group) {
	api.POST("/auth/password-reset", a.requestPasswordReset)
	api.POST("/auth/password-reset/confirm", a.confirmPasswordReset)
}

// passwordResetRequest has no validate tags: the service reports an empty
// email as a field error, like every other account rule.
type passwordResetRequest struct {
	Email string `json:"email"`
}

// requestPasswordReset answers 202 whether or not the address has an
// account, so the endpoint cannot be used to find out.
func (a *AccountsAPI) requestPasswordReset(c echo.Context) error {
	var in passwordResetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := a.svc.RequestPasswordReset(c.Request().Context(), in.Email, c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

type confirmPasswordResetRequest struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

func (a *AccountsAPI) confirmPasswordReset(c echo.Context) error {
	var in confirmPasswordResetRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := a.svc.ConfirmPasswordReset(c.Request().Context(), in.Token, in.NewPassword, c.RealIP()); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.NoContent(http.StatusNoContent)
}
