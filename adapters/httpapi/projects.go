package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
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

// Register adds the routes to the /api/v1 group, all behind auth.
func (p *ProjectsAPI) Register(api *echo.Group, auth echo.MiddlewareFunc) {
	g := api.Group("", auth)
	g.GET("/projects", p.listProjects)
	g.POST("/projects", p.createProject)
	g.GET("/projects/:id", p.getProject)
	g.PATCH("/projects/:id", p.updateProject)
	g.DELETE("/projects/:id", p.deleteProject)
	g.GET("/projects/:id/members", p.listMembers)
	g.POST("/projects/:id/members", p.addMember)
	g.PATCH("/projects/:id/members/:user_id", p.setMemberRole)
	g.DELETE("/projects/:id/members/:user_id", p.removeMember)
	g.GET("/projects/:id/tasks", p.listTasks)
	g.POST("/projects/:id/tasks", p.createTask)
	g.GET("/tasks/:id", p.getTask)
	g.PATCH("/tasks/:id", p.updateTask)
	g.DELETE("/tasks/:id", p.deleteTask)
	g.GET("/tasks/:id/comments", p.listComments)
	g.POST("/tasks/:id/comments", p.addComment)
}

// ---- DTOs ----

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

type memberDTO struct {
	UserID   int64  `json:"user_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	JoinedAt string `json:"joined_at"`
}

func memberOut(m dp.Member) memberDTO {
	return memberDTO{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), JoinedAt: timestamp(m.JoinedAt)}
}

type taskDTO struct {
	ID          int64   `json:"id"`
	ProjectID   int64   `json:"project_id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Priority    string  `json:"priority"`
	AssigneeID  *int64  `json:"assignee_id"`
	DueDate     *string `json:"due_date"`
	CreatedBy   int64   `json:"created_by"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	CompletedAt *string `json:"completed_at"`
	Version     int64   `json:"version"`
}

func taskOut(t dp.Task) taskDTO {
	d := taskDTO{ID: t.ID, ProjectID: t.ProjectID, Title: t.Title, Description: t.Description,
		Status: string(t.Status), Priority: string(t.Priority), AssigneeID: t.AssigneeID, CreatedBy: t.CreatedBy,
		CreatedAt: timestamp(t.CreatedAt), UpdatedAt: timestamp(t.UpdatedAt), Version: t.Version}
	if t.DueDate != nil {
		s := t.DueDate.String()
		d.DueDate = &s
	}
	if t.CompletedAt != nil {
		s := timestamp(*t.CompletedAt)
		d.CompletedAt = &s
	}
	return d
}

type commentDTO struct {
	ID        int64  `json:"id"`
	TaskID    int64  `json:"task_id"`
	AuthorID  int64  `json:"author_id"`
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
}

func commentOut(c dp.Comment) commentDTO {
	return commentDTO{ID: c.ID, TaskID: c.TaskID, AuthorID: c.AuthorID, Body: c.Body, CreatedAt: timestamp(c.CreatedAt)}
}

// listDTO is the contract's page: {items, next_cursor}.
type listDTO[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func listOut[S, T any](items []S, conv func(S) T, next *string) listDTO[T] {
	out := listDTO[T]{Items: make([]T, len(items)), NextCursor: next}
	for i, it := range items {
		out.Items[i] = conv(it)
	}
	return out
}

type createProjectReq struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type updateProjectReq struct {
	Name        optional[string] `json:"name"`
	Description optional[string] `json:"description"`
}

type addMemberReq struct {
	Email string `json:"email" validate:"required,max=254"`
	Role  string `json:"role" validate:"required,oneof=owner member"`
}

type setRoleReq struct {
	Role string `json:"role" validate:"required,oneof=owner member"`
}

type createCommentReq struct {
	Body string `json:"body"`
}

// createTaskReq is POST /projects/{id}/tasks. Rules (lengths, enums) are the
// domain's, so one 422 lists every broken field; only the date's syntax is
// read here.
type createTaskReq struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Priority    string  `json:"priority"`
	AssigneeID  *int64  `json:"assignee_id"`
	DueDate     *string `json:"due_date"`
}

func (r createTaskReq) draft() (dp.TaskDraft, error) {
	d := dp.TaskDraft{Title: r.Title, Description: r.Description, Status: dp.Status(r.Status),
		Priority: dp.Priority(r.Priority), AssigneeID: r.AssigneeID}
	if r.DueDate != nil {
		due, err := dp.ParseDate("due_date", *r.DueDate)
		if err != nil {
			// One 422 lists every broken field: add the draft's own rule
			// violations (title, status, …) to the bad date.
			fields := dateErrFields(err)
			if _, verr := dp.NewTask(0, 0, d, time.Time{}); verr != nil {
				if de, ok := domain.As(verr); ok {
					fields = append(de.Fields, fields...)
				}
			}
			return dp.TaskDraft{}, domain.Invalid(fields...)
		}
		d.DueDate = &due
	}
	return d, nil
}

func dateErrFields(err error) []domain.FieldError {
	if de, ok := domain.As(err); ok {
		return de.Fields
	}
	return nil
}

// patchTaskReq is PATCH /tasks/{id}: absent fields stay, null clears the
// two nullable ones (assignee_id, due_date) and is refused elsewhere.
type patchTaskReq struct {
	Title       optional[string] `json:"title"`
	Description optional[string] `json:"description"`
	Status      optional[string] `json:"status"`
	Priority    optional[string] `json:"priority"`
	AssigneeID  optional[int64]  `json:"assignee_id"`
	DueDate     optional[string] `json:"due_date"`
}

func (r patchTaskReq) changes() (dp.TaskChanges, error) {
	var c dp.TaskChanges
	var fe []domain.FieldError
	c.Title, fe = r.Title.notNull("title", fe)
	c.Description, fe = r.Description.notNull("description", fe)
	if s, f := r.Status.notNull("status", fe); s != nil {
		st := dp.Status(*s)
		c.Status = &st
	} else {
		fe = f
	}
	if s, f := r.Priority.notNull("priority", fe); s != nil {
		pr := dp.Priority(*s)
		c.Priority = &pr
	} else {
		fe = f
	}
	if r.AssigneeID.Set {
		c.SetAssignee = true
		if !r.AssigneeID.Null {
			a := r.AssigneeID.Value
			c.AssigneeID = &a
		}
	}
	if r.DueDate.Set {
		c.SetDueDate = true
		if !r.DueDate.Null {
			d, err := dp.ParseDate("due_date", r.DueDate.Value)
			if de, ok := domain.As(err); ok {
				fe = append(fe, de.Fields...)
			} else {
				c.DueDate = &d
			}
		}
	}
	if len(fe) > 0 {
		return dp.TaskChanges{}, domain.Invalid(fe...)
	}
	return c, nil
}

// optional is a JSON field that records whether it was present and whether
// it was null, which a plain pointer cannot tell apart.
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON marks the field present; null sets Null.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// notNull returns the value when present, nil when absent, and adds a field
// error for an explicit null on a field that cannot be cleared.
func (o optional[T]) notNull(field string, fe []domain.FieldError) (*T, []domain.FieldError) {
	switch {
	case !o.Set:
		return nil, fe
	case o.Null:
		return nil, append(fe, domain.FieldError{Field: field, Code: "required", Key: "validation.required"})
	}
	v := o.Value
	return &v, fe
}

// ---- projects ----

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
	return created(c, replayed, etag(v.Project.ID, v.Project.Version), projectOut(v))
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
	return conditionalGet(c, etag(v.Project.ID, v.Project.Version), projectOut(v))
}

func (p *ProjectsAPI) updateProject(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, id)
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
	c.Response().Header().Set("ETag", etag(v.Project.ID, v.Project.Version))
	return c.JSON(http.StatusOK, projectOut(v))
}

func (p *ProjectsAPI) deleteProject(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, id)
	if err != nil {
		return err
	}
	if err := p.svc.DeleteProject(c.Request().Context(), uid, id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- members ----

func (p *ProjectsAPI) listMembers(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	return listByID(c, p.cursors, fmt.Sprintf("members:%d", pid),
		func(after int64, limit int) ([]dp.Member, bool, error) {
			return p.svc.ListMembers(c.Request().Context(), uid, pid, after, limit)
		},
		func(m dp.Member) int64 { return m.UserID }, memberOut)
}

func (p *ProjectsAPI) addMember(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	var req addMemberReq
	if err := bind(c, &req); err != nil {
		return err
	}
	m, replayed, err := p.svc.AddMember(c.Request().Context(), uid, pid,
		appprojects.NewMember{Email: req.Email, Role: dp.Role(req.Role)}, idempotencyKey(c))
	if err != nil {
		return err
	}
	return created(c, replayed, "", memberOut(m))
}

func (p *ProjectsAPI) setMemberRole(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	target, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	var req setRoleReq
	if err := bind(c, &req); err != nil {
		return err
	}
	m, err := p.svc.SetMemberRole(c.Request().Context(), uid, pid, target, dp.Role(req.Role))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, memberOut(m))
}

func (p *ProjectsAPI) removeMember(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	target, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := p.svc.RemoveMember(c.Request().Context(), uid, pid, target); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- tasks ----

func (p *ProjectsAPI) listTasks(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	q, scope, err := taskQuery(c, pid)
	if err != nil {
		return err
	}
	if s := c.QueryParam("cursor"); s != "" {
		cur, err := p.cursors.decode(scope, s)
		if err != nil {
			return err
		}
		if q.After, err = cursorKey(cur, q.Order); err != nil {
			return err
		}
	}
	items, more, err := p.svc.ListTasks(c.Request().Context(), uid, q)
	if err != nil {
		return err
	}
	var next *string
	if more {
		s := p.cursors.encode(scope, keyCursor(ports.KeyOf(items[len(items)-1], q.Order)))
		next = &s
	}
	return c.JSON(http.StatusOK, listOut(items, taskOut, next))
}

// taskQuery reads the list's query parameters and names its scope: the
// project, order and filters a cursor is bound to. Values' syntax is checked
// here (400); their meaning (known enum values, limit range) by the app (422).
func taskQuery(c echo.Context, pid int64) (ports.TaskQuery, string, error) {
	q := ports.TaskQuery{ProjectID: pid, Order: ports.TaskOrder(c.QueryParam("order"))}
	if q.Order == "" {
		q.Order = ports.OrderNewest
	}
	var err error
	if q.Limit, err = limitParam(c); err != nil {
		return q, "", err
	}
	f := &q.Filter
	f.Status = dp.Status(c.QueryParam("status"))
	f.Priority = dp.Priority(c.QueryParam("priority"))
	f.Query = c.QueryParam("q")
	if s := c.QueryParam("assignee_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return q, "", badParam("assignee_id", "id", "validation.id")
		}
		f.AssigneeID = id
	}
	if s := c.QueryParam("due_before"); s != "" {
		d, err := dp.ParseDate("due_before", s)
		if err != nil {
			return q, "", err
		}
		f.DueBefore = &d
	}
	scope := url.Values{"p": {strconv.FormatInt(pid, 10)}, "o": {string(q.Order)}, "s": {string(f.Status)},
		"pr": {string(f.Priority)}, "q": {f.Query}, "a": {strconv.FormatInt(f.AssigneeID, 10)}}
	if f.DueBefore != nil {
		scope.Set("d", f.DueBefore.String())
	}
	return q, "tasks?" + scope.Encode(), nil
}

func keyCursor(k ports.TaskKey) cursorPayload {
	p := cursorPayload{ID: k.ID, Priority: string(k.Priority)}
	if !k.CreatedAt.IsZero() {
		p.Micros = k.CreatedAt.UnixMicro()
	}
	if k.DueDate != nil {
		p.Date = k.DueDate.String()
	}
	return p
}

// cursorKey turns a verified payload back into a position of order o. The
// MAC already vouches for it; the checks guard against a leaked secret key.
func cursorKey(p cursorPayload, o ports.TaskOrder) (*ports.TaskKey, error) {
	k := &ports.TaskKey{ID: p.ID, CreatedAt: time.UnixMicro(p.Micros).UTC(), Priority: dp.Priority(p.Priority)}
	switch o {
	case ports.OrderDueDate:
		if p.Date != "" {
			d, err := dp.ParseDate("cursor", p.Date)
			if err != nil {
				return nil, errBadCursor
			}
			k.DueDate = &d
		}
	case ports.OrderPriority:
		if !k.Priority.Valid() {
			return nil, errBadCursor
		}
	}
	return k, nil
}

func (p *ProjectsAPI) createTask(c echo.Context) error {
	uid, pid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	var req createTaskReq
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := req.draft()
	if err != nil {
		return err
	}
	t, replayed, err := p.svc.CreateTask(c.Request().Context(), uid, pid, d, idempotencyKey(c))
	if err != nil {
		return err
	}
	return created(c, replayed, etag(t.ID, t.Version), taskOut(t))
}

func (p *ProjectsAPI) getTask(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	t, err := p.svc.GetTask(c.Request().Context(), uid, id)
	if err != nil {
		return err
	}
	return conditionalGet(c, etag(t.ID, t.Version), taskOut(t))
}

func (p *ProjectsAPI) updateTask(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, id)
	if err != nil {
		return err
	}
	var req patchTaskReq
	if err := bind(c, &req); err != nil {
		return err
	}
	ch, err := req.changes()
	if err != nil {
		return err
	}
	t, err := p.svc.UpdateTask(c.Request().Context(), uid, id, ch, ifMatch)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(t.ID, t.Version))
	return c.JSON(http.StatusOK, taskOut(t))
}

func (p *ProjectsAPI) deleteTask(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, id)
	if err != nil {
		return err
	}
	if err := p.svc.DeleteTask(c.Request().Context(), uid, id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- comments ----

func (p *ProjectsAPI) listComments(c echo.Context) error {
	uid, tid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	return listByID(c, p.cursors, fmt.Sprintf("comments:%d", tid),
		func(after int64, limit int) ([]dp.Comment, bool, error) {
			return p.svc.ListComments(c.Request().Context(), uid, tid, after, limit)
		},
		func(cm dp.Comment) int64 { return cm.ID }, commentOut)
}

func (p *ProjectsAPI) addComment(c echo.Context) error {
	uid, tid, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	var req createCommentReq
	if err := bind(c, &req); err != nil {
		return err
	}
	cm, replayed, err := p.svc.AddComment(c.Request().Context(), uid, tid, req.Body, idempotencyKey(c))
	if err != nil {
		return err
	}
	return created(c, replayed, "", commentOut(cm))
}

// ---- helpers ----

// listByID serves a list paged by an ID cursor bound to scope (so a cursor
// from one list is refused by another): fetch returns the page after the
// given ID and whether more follow; idOf is an item's cursor position.
func listByID[T, D any](c echo.Context, cursors cursorCodec, scope string,
	fetch func(after int64, limit int) ([]T, bool, error), idOf func(T) int64, out func(T) D,
) error {
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	var after int64
	if s := c.QueryParam("cursor"); s != "" {
		cur, err := cursors.decode(scope, s)
		if err != nil {
			return err
		}
		after = cur.ID
	}
	items, more, err := fetch(after, limit)
	if err != nil {
		return err
	}
	var next *string
	if more {
		s := cursors.encode(scope, cursorPayload{ID: idOf(items[len(items)-1])})
		next = &s
	}
	return c.JSON(http.StatusOK, listOut(items, out, next))
}

func callerID(c echo.Context) (int64, error) {
	pr, ok := principal(c)
	if !ok {
		return 0, domain.ErrUnauthenticated
	}
	return pr.User.ID, nil
}

func callerAndID(c echo.Context, param string) (int64, int64, error) {
	uid, err := callerID(c)
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(c, param)
	return uid, id, err
}

// pathID parses a positive int64 path parameter; anything else (letters,
// overflow, zero) is a 400 naming the parameter.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badParam(name, "id", "validation.id")
	}
	return id, nil
}

// limitParam parses ?limit=; syntax errors are 400, the range is the app's (422).
func limitParam(c echo.Context) (int, error) {
	s := c.QueryParam("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badParam("limit", "number", "validation.number")
	}
	if n < 1 || n > 1000 {
		n = -1 // out of range whatever its size; the app says so with 422
	}
	return n, nil
}

func badParam(field, code, key string) error {
	e := domain.Invalid(domain.FieldError{Field: field, Code: code, Key: key})
	e.Kind, e.Key = domain.KindBadRequest, "error.invalid_param"
	return e
}

func idempotencyKey(c echo.Context) string { return c.Request().Header.Get("Idempotency-Key") }

// etag is the strong validator of a resource version: "<id>-<version>".
func etag(id, version int64) string {
	// Built by hand: fmt.Sprintf costs two allocations more on every read.
	b := make([]byte, 0, 42)
	b = append(b, '"')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, version, 10)
	return string(append(b, '"'))
}

// created writes a 201; a replayed idempotent request says so in a header.
func created(c echo.Context, replayed bool, tag string, body any) error {
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	if tag != "" {
		c.Response().Header().Set("ETag", tag)
	}
	return c.JSON(http.StatusCreated, body)
}

// conditionalGet answers 304 when If-None-Match lists the current ETag
// (weak comparison, as RFC 9110 prescribes for it), else 200 with the body.
func conditionalGet(c echo.Context, tag string, body any) error {
	h := c.Response().Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, no-cache")
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		for _, t := range splitTags(inm) {
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return c.NoContent(http.StatusNotModified)
			}
		}
	}
	return c.JSON(http.StatusOK, body)
}

// ifMatchVersions reads If-Match for resource id: nil when absent or "*"
// (any version), else the versions of the listed strong tags, which may be
// empty (nothing can match: 412). Weak tags never match (strong comparison);
// a header that is not a list of quoted tags is 400.
func ifMatchVersions(c echo.Context, id int64) ([]int64, error) {
	h := c.Request().Header.Get("If-Match")
	if h == "" {
		return nil, nil
	}
	versions := []int64{}
	for _, t := range splitTags(h) {
		if t == "*" {
			return nil, nil
		}
		weak := strings.HasPrefix(t, "W/")
		t = strings.TrimPrefix(t, "W/")
		if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
			return nil, badHeader("If-Match")
		}
		rid, ver, ok := strings.Cut(t[1:len(t)-1], "-")
		if weak || !ok || rid != strconv.FormatInt(id, 10) {
			continue
		}
		if v, err := strconv.ParseInt(ver, 10, 64); err == nil {
			versions = append(versions, v)
		}
	}
	return versions, nil
}

func splitTags(h string) []string {
	parts := strings.Split(h, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func badHeader(name string) error {
	e := domain.Invalid(domain.FieldError{Field: name, Code: "etag", Key: "validation.etag"})
	e.Kind, e.Key = domain.KindBadRequest, "error.invalid_header"
	return e
}
