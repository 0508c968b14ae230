package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

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
	return sendJSON(c, http.StatusOK, taskListJSON(items, next))
}

// taskQuery reads the list's query parameters and names its scope: the
// project, order and filters a cursor is bound to. Values' syntax is checked
// here (400); their meaning (known enum values, limit range) by the app (422).
func taskQuery(c echo.Context, pid int64) (ports.TaskQuery, string, error) {
	text, err := textParams(c, "order", "status", "priority", "q")
	if err != nil {
		return ports.TaskQuery{}, "", err
	}
	q := ports.TaskQuery{ProjectID: pid, Order: ports.TaskOrder(text[0])}
	if q.Order == "" {
		q.Order = ports.OrderNewest
	}
	if q.Limit, err = limitParam(c); err != nil {
		return q, "", err
	}
	f := &q.Filter
	f.Status, f.Priority, f.Query = dp.Status(text[1]), dp.Priority(text[2]), text[3]
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
	return created(c, replayed, etag(kindTask, t.ID, t.Version), taskJSON(t))
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
	return conditionalGet(c, etag(kindTask, t.ID, t.Version), taskJSON(t))
}

func (p *ProjectsAPI) updateTask(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, kindTask, id)
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
	c.Response().Header().Set("ETag", etag(kindTask, t.ID, t.Version))
	return sendJSON(c, http.StatusOK, taskJSON(t))
}

func (p *ProjectsAPI) deleteTask(c echo.Context) error {
	uid, id, err := callerAndID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersions(c, kindTask, id)
	if err != nil {
		return err
	}
	if err := p.svc.DeleteTask(c.Request().Context(), uid, id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
