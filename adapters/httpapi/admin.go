package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain/accounts"
)

// AdminAPI serves the staff console under /api/v1/admin: find users, see
// one with their sessions and projects, act on the account, and read the
// audit log. Only active staff reach it; everyone else, anonymous callers
// included, gets the same 404 as a route that does not exist, so the
// console cannot be discovered.
type AdminAPI struct {
	svc      *appaccounts.Service
	accounts *AccountsAPI
	cursors  cursorCodec
}

// NewAdminAPI builds the console's handlers behind the accounts module's
// authentication. Its cursors are signed with secretKey.
func NewAdminAPI(svc *appaccounts.Service, accounts *AccountsAPI, secretKey string) *AdminAPI {
	return &AdminAPI{svc: svc, accounts: accounts, cursors: newCursorCodec(secretKey)}
}

// Register adds the console's routes to the /api/v1 group. The gate is
// attached to each route, not to a sub-group: echo gives a group with
// middleware a catch-all route, which would answer unknown admin paths
// differently from unknown paths elsewhere.
func (a *AdminAPI) Register(api *echo.Group) {
	api.GET("/admin/users", a.searchUsers, a.staffOnly)
	api.GET("/admin/users/:id", a.userDetail, a.staffOnly)
	api.POST("/admin/users/:id/deactivate", a.deactivate, a.staffOnly)
	api.POST("/admin/users/:id/reactivate", a.reactivate, a.staffOnly)
	api.POST("/admin/users/:id/revoke-sessions", a.revokeSessions, a.staffOnly)
	api.POST("/admin/users/:id/password-reset", a.passwordReset, a.staffOnly)
	api.GET("/admin/audit-log", a.auditLog, a.staffOnly)
}

// staffOnly authenticates the caller and lets active staff through. Every
// refusal before the handler runs (no credentials, a dead session, a
// cross-site request, a caller who is not staff) is the router's own 404,
// without the WWW-Authenticate challenge a 401 would carry. The use cases
// check staff again: the gate hides the routes, the app layer decides.
func (a *AdminAPI) staffOnly(next echo.HandlerFunc) echo.HandlerFunc {
	gated := a.accounts.Authenticate(func(c echo.Context) error {
		p, ok := principal(c)
		if !ok || !p.User.IsStaff {
			return echo.ErrNotFound
		}
		c.Set(ctxStaffPassed, true)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	})
	return func(c echo.Context) error {
		err := gated(c)
		if err != nil && c.Get(ctxStaffPassed) == nil {
			c.Response().Header().Del(echo.HeaderWWWAuthenticate)
			return echo.ErrNotFound
		}
		return err
	}
}

const ctxStaffPassed = "onit.staff_passed"

// adminUserDTO is a user as the console lists them.
type adminUserDTO struct {
	ID          int64   `json:"id"`
	Email       string  `json:"email"`
	Name        string  `json:"name"`
	Language    string  `json:"language"`
	IsActive    bool    `json:"is_active"`
	IsStaff     bool    `json:"is_staff"`
	IsSuperuser bool    `json:"is_superuser"`
	DateJoined  string  `json:"date_joined"`
	LastLogin   *string `json:"last_login"`
}

func adminUserFromDomain(u accounts.User) adminUserDTO {
	d := adminUserDTO{ID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language, IsActive: u.IsActive,
		IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, DateJoined: timestamp(u.DateJoined)}
	if u.LastLogin != nil {
		s := timestamp(*u.LastLogin)
		d.LastLogin = &s
	}
	return d
}

// adminProjectDTO is one of a user's projects with their role in it.
type adminProjectDTO struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// adminUserDetailDTO is one user with their live sessions and projects.
type adminUserDetailDTO struct {
	adminUserDTO
	Sessions     int               `json:"sessions"`
	ProjectCount int               `json:"project_count"`
	Projects     []adminProjectDTO `json:"projects"`
}

// revokedDTO says how many sessions an action ended.
type revokedDTO struct {
	Revoked int `json:"revoked"`
}

// auditEntryDTO is one line of the audit log.
type auditEntryDTO struct {
	ID          int64  `json:"id"`
	CreatedAt   string `json:"created_at"`
	ActorID     int64  `json:"actor_id"`
	ActorEmail  string `json:"actor_email"`
	Action      string `json:"action"`
	TargetID    int64  `json:"target_id"`
	TargetEmail string `json:"target_email"`
	Message     string `json:"message"`
}

func staffActor(c echo.Context) accounts.User {
	p, _ := principal(c) // staffOnly set it
	return p.User
}

func (a *AdminAPI) searchUsers(c echo.Context) error {
	q := c.QueryParam("q")
	// The scope binds the cursor to the query, so a cursor from another
	// search is refused.
	return listByID(c, a.cursors, "admin-users:"+q,
		func(after int64, limit int) ([]accounts.User, bool, error) {
			return a.svc.SearchUsers(c.Request().Context(), staffActor(c), q, after, limit)
		},
		func(u accounts.User) int64 { return u.ID }, adminUserFromDomain)
}

func (a *AdminAPI) userDetail(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := a.svc.StaffUserDetail(c.Request().Context(), staffActor(c), id)
	if err != nil {
		return err
	}
	out := adminUserDetailDTO{adminUserDTO: adminUserFromDomain(d.User), Sessions: d.Sessions,
		ProjectCount: d.ProjectCount, Projects: make([]adminProjectDTO, len(d.Projects))}
	for i, p := range d.Projects {
		out.Projects[i] = adminProjectDTO{ID: p.Project.ID, Name: p.Project.Name, Role: string(p.Role)}
	}
	return c.JSON(http.StatusOK, out)
}

func (a *AdminAPI) deactivate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := a.svc.DeactivateUser(c.Request().Context(), staffActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revokedDTO{Revoked: n})
}

func (a *AdminAPI) reactivate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.ReactivateUser(c.Request().Context(), staffActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *AdminAPI) revokeSessions(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := a.svc.RevokeUserSessionsAsStaff(c.Request().Context(), staffActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revokedDTO{Revoked: n})
}

// passwordReset answers 202: the email is queued in the outbox and leaves
// with the background sender.
func (a *AdminAPI) passwordReset(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.SendPasswordResetAsStaff(c.Request().Context(), staffActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

func (a *AdminAPI) auditLog(c echo.Context) error {
	var target int64
	if s := c.QueryParam("user"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return badParam("user", "id", "validation.id")
		}
		target = n
	}
	return listByID(c, a.cursors, "admin-audit:"+strconv.FormatInt(target, 10),
		func(before int64, limit int) ([]accounts.AuditEntry, bool, error) {
			return a.svc.StaffAuditLog(c.Request().Context(), staffActor(c), target, before, limit)
		},
		func(e accounts.AuditEntry) int64 { return e.ID },
		func(e accounts.AuditEntry) auditEntryDTO {
			return auditEntryDTO{ID: e.ID, CreatedAt: timestamp(e.CreatedAt), ActorID: e.ActorID, ActorEmail: e.ActorEmail,
				Action: string(e.Action), TargetID: e.TargetID, TargetEmail: e.TargetEmail, Message: e.Message}
		})
}
