package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
)

// ProjectsAPI serves projects, members, tasks and comments. Handlers only
// translate: request DTO → bind → app call → response DTO. Authorisation
// and every rule live in app/projects; the round-trips each endpoint costs
// are listed there.
type ProjectsAPI struct {
	svc     *appprojects.Service
	cursors cursorCodec
	log     *slog.Logger
}

// NewProjectsAPI builds the handlers; secretKey signs list cursors.
func NewProjectsAPI(svc *appprojects.Service, secretKey string, log *slog.Logger) *ProjectsAPI {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ProjectsAPI{svc: svc, cursors: newCursorCodec(secretKey), log: log}
}

// Register adds the routes to the /api/v1 group, all behind auth. auth is
// attached to each route, not to a sub-group: echo gives a group with
// middleware catch-all routes, which would answer 401 to unknown paths and
// to known paths with a method they lack, instead of 404 and 405.
func (p *ProjectsAPI) Register(api *echo.Group, auth echo.MiddlewareFunc) {
	api.GET("/projects", p.listProjects, auth)
	api.POST("/projects", p.createProject, auth)
	api.GET("/projects/:id", p.getProject, auth)
	api.PATCH("/projects/:id", p.updateProject, auth)
	api.DELETE("/projects/:id", p.deleteProject, auth)
	api.GET("/projects/:id/members", p.listMembers, auth)
	api.POST("/projects/:id/members", p.addMember, auth)
	api.PATCH("/projects/:id/members/:user_id", p.setMemberRole, auth)
	api.DELETE("/projects/:id/members/:user_id", p.removeMember, auth)
	api.GET("/projects/:id/tasks", p.listTasks, auth)
	api.POST("/projects/:id/tasks", p.createTask, auth)
	api.GET("/tasks/:id", p.getTask, auth)
	api.PATCH("/tasks/:id", p.updateTask, auth)
	api.DELETE("/tasks/:id", p.deleteTask, auth)
	api.GET("/tasks/:id/comments", p.listComments, auth)
	api.POST("/tasks/:id/comments", p.addComment, auth)
}

type projectDTO struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	OwnerID     int64  `json:"owner_id"`
	Role        string `json:"role"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func projectOut(v appprojects.ProjectView) projectDTO {
	return projectDTO{ID: v.Project.ID, Name: v.Project.Name, Description: v.Project.Description,
		OwnerID: v.Project.OwnerID, Role: string(v.Role), CreatedAt: timestamp(v.Project.CreatedAt),
		UpdatedAt: timestamp(v.Project.UpdatedAt)}
}

type createProjectReq struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type updateProjectReq struct {
	Name        optional[string] `json:"name"`
	Description optional[string] `json:"description"`
}

func (p *ProjectsAPI) listProjects(c echo.Context) error {
	uid, err := callerID(c)
	if err != nil {
		return err
	}
	return listByID(c, p.cursors, "projects",
		func(after int64, limit int) ([]appprojects.ProjectView, bool, error) {
			return p.svc.ListProjects(c.Request().Context(), uid, after, limit)
		},
		func(v appprojects.ProjectView) int64 { return v.Project.ID }, projectOut)
}

func (p *ProjectsAPI) createProject(c echo.Context) error {
	uid, err := callerID(c)
	if err != nil {
		return err
	}
	var req createProjectReq
	if err := bind(c, &req); err != nil {
		return err
	}
	v, replayed, err := p.svc.CreateProject(c.Request().Context(), uid,
		appprojects.NewProject{Name: req.Name, Description: req.Description}, idempotencyKey(c))
	if err != nil {
		return err
	}
	return created(c, replayed, etag(kindProject, v.Project.ID, v.Project.Version), projectOut(v))
}

func (p *ProjectsAPI) getProject(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	v, err := p.svc.GetProject(c.Request().Context(), uid, id)
	if err != nil {
		return err
	}
	return conditionalGet(c, etag(kindProject, v.Project.ID, v.Project.Version), projectOut(v))
}

func (p *ProjectsAPI) updateProject(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, kindProject, id)
	if err != nil {
		return err
	}
	var req updateProjectReq
	if err := bind(c, &req); err != nil {
		return err
	}
	var ch dp.ProjectChanges
	var fe []domain.FieldError
	ch.Name, fe = req.Name.notNull("name", fe)
	ch.Description, fe = req.Description.notNull("description", fe)
	if len(fe) > 0 {
		return domain.Invalid(fe...)
	}
	v, err := p.svc.UpdateProject(c.Request().Context(), uid, id, ch, ifMatch)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(kindProject, v.Project.ID, v.Project.Version))
	return c.JSON(http.StatusOK, projectOut(v))
}

func (p *ProjectsAPI) deleteProject(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, kindProject, id)
	if err != nil {
		return err
	}
	if err := p.svc.DeleteProject(c.Request().Context(), uid, id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
