package bootstrap

import (
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/httpapi"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// staffModule is the staff console: the accounts service switched on for
// it (the composition provides the ports.StaffDirectory: MySQL or the
// memory twin) and its HTTP handlers under /api/v1/admin.
var staffModule = fx.Module("staff",
	fx.Provide(func(svc *appaccounts.Service, accounts *httpapi.AccountsAPI, sec env.Security) *httpapi.AdminAPI {
		return httpapi.NewAdminAPI(svc, accounts, sec.SecretKey)
	}),
	fx.Invoke(useStaffConsole),
)

// useStaffConsole runs before the server's start hook, like the other
// Use* switches, so no request sees the service half-configured.
func useStaffConsole(svc *appaccounts.Service, dir ports.StaffDirectory, r ports.Repos) {
	svc.UseStaffConsole(dir, r.Audit, r.Projects)
}
