package httpapi

import "github.com/labstack/echo/v4"

// Module of the projects API behind the accounts module's authentication,
// so the wiring in bootstrap never needs echo's types.
func (p *ProjectsAPI) Module(accounts *AccountsAPI) Module {
	return func(api *echo.Group) { p.Register(api, accounts.Authenticate) }
}
