package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// taskRow is a row of the tasks table. Priority is stored as its urgency
// rank and due_order duplicates due_date with undated tasks last (see the
// migration), so each list order is one index scan.
type taskRow struct {
	bun.BaseModel `bun:"table:tasks"`

	ID          int64      `bun:"id,pk,autoincrement"`
	ProjectID   int64      `bun:"project_id"`
	Title       string     `bun:"title"`
	Description string     `bun:"description"`
	Status      string     `bun:"status"`
	Priority    int8       `bun:"priority"`
	AssigneeID  *int64     `bun:"assignee_id"`
	DueDate     *time.Time `bun:"due_date"`
	DueOrder    time.Time  `bun:"due_order"`
	CreatedBy   int64      `bun:"created_by"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	CompletedAt *time.Time `bun:"completed_at"`
	Version     int64      `bun:"version"`
}

// taskAccessRow is a task read with the project's version and one user's role.
type taskAccessRow struct {
	taskRow        `bun:",extend"`
	ProjectVersion int64          `bun:"project_version"`
	Role           sql.NullString `bun:"role"`
}

const taskCols = "t.id, t.project_id, t.title, t.description, t.status, t.priority, t.assignee_id, t.due_date," +
	" t.due_order, t.created_by, t.created_at, t.updated_at, t.completed_at, t.version"

func taskFromDomain(t dp.Task) taskRow {
	r := taskRow{ID: t.ID, ProjectID: t.ProjectID, Title: t.Title, Description: t.Description,
		Status: string(t.Status), Priority: int8(t.Priority.Rank()), AssigneeID: t.AssigneeID,
		DueOrder: dp.NoDueDate.Time(), CreatedBy: t.CreatedBy, CreatedAt: dbTime(t.CreatedAt),
		UpdatedAt: dbTime(t.UpdatedAt), Version: t.Version}
	if t.DueDate != nil {
		d := t.DueDate.Time()
		r.DueDate, r.DueOrder = &d, d
	}
	if t.CompletedAt != nil {
		c := dbTime(*t.CompletedAt)
		r.CompletedAt = &c
	}
	return r
}

func (r taskRow) toDomain() dp.Task {
	prio, _ := dp.PriorityOfRank(int(r.Priority))
	t := dp.Task{ID: r.ID, ProjectID: r.ProjectID, Title: r.Title, Description: r.Description,
		Status: dp.Status(r.Status), Priority: prio, AssigneeID: r.AssigneeID, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version}
	if r.DueDate != nil {
		d := dp.DateOf(r.DueDate.UTC())
		t.DueDate = &d
	}
	if r.CompletedAt != nil {
		c := r.CompletedAt.UTC()
		t.CompletedAt = &c
	}
	return t
}

// TaskRepository stores tasks.
type TaskRepository struct {
	db bun.IDB
	rr *ReadRouter // lag-tolerant reads (lists); nil: db
}

var _ ports.TaskRepository = (*TaskRepository)(nil)

// NewTaskRepository returns a repository on db: the pool, or a transaction
// of the unit of work.
func NewTaskRepository(db bun.IDB) *TaskRepository { return &TaskRepository{db: db} }

// taskParents names what each foreign key of tasks means to the app.
var taskParents = map[string]error{
	"tasks_project_id_fk":  domain.ErrNotFound,
	"tasks_assignee_id_fk": dp.ErrAssigneeNotMember,
}

// Create inserts t and sets its ID; NotFound when the project is gone.
func (r *TaskRepository) Create(ctx context.Context, t *dp.Task) error {
	row := taskFromDomain(*t)
	row.ID = 0
	if _, err := r.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return missingParent(err, taskParents)
	}
	t.ID = row.ID
	return nil
}

// ByID returns the task; NotFound when absent.
func (r *TaskRepository) ByID(ctx context.Context, id int64) (dp.Task, error) {
	var row taskRow
	if err := r.db.NewRaw("SELECT "+taskCols+" FROM tasks AS t WHERE t.id = ?", id).Scan(ctx, &row); err != nil {
		return dp.Task{}, MapError(err)
	}
	return row.toDomain(), nil
}

// ByIDForUser reads the task, its project's version and the user's role in
// one statement of three key lookups.
func (r *TaskRepository) ByIDForUser(ctx context.Context, id, userID int64) (dp.Task, ports.Access, error) {
	var row taskAccessRow
	err := r.db.NewRaw("SELECT "+taskCols+", p.version AS project_version, m.`role`"+
		" FROM tasks AS t JOIN projects AS p ON p.id = t.project_id"+
		" LEFT JOIN project_members AS m ON m.project_id = t.project_id AND m.user_id = ?"+
		" WHERE t.id = ?", userID, id).Scan(ctx, &row)
	if err != nil {
		return dp.Task{}, ports.Access{}, MapError(err)
	}
	t := row.toDomain()
	return t, ports.Access{ProjectID: t.ProjectID, ProjectVersion: row.ProjectVersion, UserID: userID,
		Role: dp.Role(row.Role.String)}, nil
}

// List returns one page of a project's tasks with a keyset condition, never
// OFFSET. Each order has an index whose columns are (project_id, sort
// column, id), so MySQL reads the page in index order and stops after
// limit rows: cost grows with the page size, not with the project (see
// TestTaskListUsesIndex). Filters are checked on the rows as they stream by;
// the status filter has its own (project_id, status, created_at, id) index
// for the default order. The keyset condition is written as "a <= x AND
// (a < x OR (a = x AND id < y))": the OR form is exact, and the redundant
// "a <= x" is what lets the optimizer start a range scan at the cursor
// instead of reading from the first row of the project (MariaDB does not
// turn a row comparison "(a, id) < (x, y)" into a range).
//
// The page's IDs are found first by a query that only needs the index (a
// deferred join): asked for all columns at once, MariaDB prefers a ref scan
// from the project's first row when the cursor is near the top of a long
// list, and page 100 of 100,000 tasks then read 5,000 rows instead of 51.
// The join fetches the rows by primary key; they are put back in order
// here, which for a page of at most 101 rows is cheaper than a sort on the
// server. A first page has no cursor to start a range at: it asks for whole
// rows in index order directly, one statement the server plans more
// cheaply than the derived table (the most read page of every list).
func (r *TaskRepository) List(ctx context.Context, q ports.TaskQuery) ([]dp.Task, error) {
	var (
		query string
		args  []any
	)
	if q.After == nil {
		query, args = taskListSQL(q, taskCols)
	} else {
		var ids string
		ids, args = taskListSQL(q, "t.id")
		query = "SELECT " + taskCols + " FROM tasks AS t JOIN (" + ids + ") AS k ON k.id = t.id"
	}
	var rows []taskRow
	if err := readOn(ctx, r.rr, r.db, func(db bun.IDB) error {
		var err error
		rows, err = queryTaskRows(ctx, db, query, args...)
		return err
	}); err != nil {
		return nil, MapError(err)
	}
	if q.After != nil {
		sortTaskRows(rows, q.Order)
	}
	out := make([]dp.Task, len(rows))
	for i, row := range rows {
		out[i] = row.toDomain()
	}
	return out, nil
}

// queryTaskRows runs a query selecting taskCols and scans its rows by
// position. A page of 50 is the read path's largest result: bun's
// reflective model scan (a field lookup and a scanner per column) was
// about a third of GET task list's CPU in a profile under load, against
// the ceiling's plain rows.Scan. bun still formats the query and runs its
// hooks (QueryContext), so counting and metrics see the statement.
func queryTaskRows(ctx context.Context, db bun.IDB, query string, args ...any) (_ []taskRow, err error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rs.Close()) }()
	out := make([]taskRow, 0, 64)
	for rs.Next() {
		var (
			t              taskRow
			prio           int64
			assignee       sql.NullInt64
			due, completed sql.NullTime
		)
		if err := rs.Scan(&t.ID, &t.ProjectID, &t.Title, &t.Description, &t.Status, &prio, &assignee, &due,
			&t.DueOrder, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt, &completed, &t.Version); err != nil {
			return nil, err
		}
		t.Priority = int8(prio) //nolint:gosec // a TINYINT column
		if assignee.Valid {
			t.AssigneeID = &assignee.Int64
		}
		if due.Valid {
			t.DueDate = &due.Time
		}
		if completed.Valid {
			t.CompletedAt = &completed.Time
		}
		out = append(out, t)
	}
	return out, rs.Err()
}

// sortTaskRows orders a page as taskListSQL's ORDER BY does.
func sortTaskRows(rows []taskRow, o ports.TaskOrder) {
	slices.SortFunc(rows, func(a, b taskRow) int {
		switch o {
		case ports.OrderDueDate:
			if c := a.DueOrder.Compare(b.DueOrder); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		case ports.OrderPriority:
			if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		default:
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		}
	})
}

// taskListSQL builds the statement that reads a page's cols (of tasks AS
// t) in order; the EXPLAIN test runs the same text.
func taskListSQL(q ports.TaskQuery, cols string) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT " + cols + " FROM tasks AS t WHERE t.project_id = ?")
	args := []any{q.ProjectID}
	f := q.Filter
	if f.Status != "" {
		b.WriteString(" AND t.status = ?")
		args = append(args, string(f.Status))
	}
	if f.AssigneeID != 0 {
		b.WriteString(" AND t.assignee_id = ?")
		args = append(args, f.AssigneeID)
	}
	if f.Priority != "" {
		b.WriteString(" AND t.priority = ?")
		args = append(args, f.Priority.Rank())
	}
	if f.DueBefore != nil {
		b.WriteString(" AND t.due_date < ?")
		args = append(args, f.DueBefore.String())
	}
	if f.Query != "" {
		// '!' as the escape character works whatever the sql_mode says about
		// backslashes (NO_BACKSLASH_ESCAPES differs between setups).
		b.WriteString(" AND t.title LIKE ? ESCAPE '!'")
		args = append(args, "%"+likeEscaper.Replace(f.Query)+"%")
	}
	var order string
	switch q.Order {
	case ports.OrderDueDate:
		if a := q.After; a != nil {
			d := dp.NoDueDate
			if a.DueDate != nil {
				d = *a.DueDate
			}
			b.WriteString(" AND t.due_order >= ? AND (t.due_order > ? OR (t.due_order = ? AND t.id > ?))")
			args = append(args, d.String(), d.String(), d.String(), a.ID)
		}
		order = " ORDER BY t.due_order, t.id"
	case ports.OrderPriority:
		if a := q.After; a != nil {
			r := a.Priority.Rank()
			b.WriteString(" AND t.priority <= ? AND (t.priority < ? OR (t.priority = ? AND t.id < ?))")
			args = append(args, r, r, r, a.ID)
		}
		order = " ORDER BY t.priority DESC, t.id DESC"
	default:
		if a := q.After; a != nil {
			at := dbTime(a.CreatedAt)
			b.WriteString(" AND t.created_at <= ? AND (t.created_at < ? OR (t.created_at = ? AND t.id < ?))")
			args = append(args, at, at, at, a.ID)
		}
		order = " ORDER BY t.created_at DESC, t.id DESC"
	}
	b.WriteString(order + " LIMIT ?")
	args = append(args, q.Limit)
	return b.String(), args
}

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// Update reads the task with SELECT … FOR UPDATE, applies fn and writes it
// back with a compare-and-set on the version (see ProjectRepository.Update).
func (r *TaskRepository) Update(ctx context.Context, id int64, fn func(*dp.Task) error) (dp.Task, error) {
	var row taskRow
	if err := r.db.NewRaw("SELECT "+taskCols+" FROM tasks AS t WHERE t.id = ? FOR UPDATE", id).Scan(ctx, &row); err != nil {
		return dp.Task{}, MapError(err)
	}
	t := row.toDomain()
	old := t.Version
	if err := fn(&t); err != nil {
		return dp.Task{}, err
	}
	if t.Version == old {
		return dp.Task{}, domain.Internal(errors.New("task update without a version change"))
	}
	t.ID, t.ProjectID, t.CreatedBy, t.CreatedAt = id, row.ProjectID, row.CreatedBy, row.CreatedAt.UTC()
	n := taskFromDomain(t)
	res, err := r.db.NewRaw("UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, assignee_id = ?,"+
		" due_date = ?, due_order = ?, updated_at = ?, completed_at = ?, version = ? WHERE id = ? AND version = ?",
		n.Title, n.Description, n.Status, n.Priority, n.AssigneeID, n.DueDate, n.DueOrder, n.UpdatedAt,
		n.CompletedAt, n.Version, id, old).Exec(ctx)
	if err != nil {
		return dp.Task{}, missingParent(err, taskParents)
	}
	if err := casResult(res, nil); err != nil {
		return dp.Task{}, err
	}
	return n.toDomain(), nil
}

// CreateIfMember inserts t with an INSERT … SELECT whose SELECT yields a
// row only when the creator (and the assignee, if set) are members: the
// authorisation and the write are one autocommit statement, one round
// trip. Under READ COMMITTED the membership is a consistent read, as the
// role read of a transaction was.
//
// A claim ID goes into idempotency_id, whose unique key refuses a second
// task for the same claim (ErrIdempotencyKeyUsed): the task and its
// idempotency record are linked by this one statement, no transaction.
func (r *TaskRepository) CreateIfMember(ctx context.Context, t *dp.Task, claimID int64) (bool, error) {
	n := taskFromDomain(*t)
	var claim *int64
	if claimID != 0 {
		claim = &claimID
	}
	q := "INSERT INTO tasks (project_id, title, description, status, priority, assignee_id, due_date, due_order," +
		" created_by, created_at, updated_at, completed_at, version, idempotency_id)" +
		" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM project_members AS m WHERE m.project_id = ? AND m.user_id = ?"
	args := []any{n.ProjectID, n.Title, n.Description, n.Status, n.Priority, n.AssigneeID, n.DueDate, n.DueOrder,
		n.CreatedBy, n.CreatedAt, n.UpdatedAt, n.CompletedAt, n.Version, claim, n.ProjectID, n.CreatedBy}
	if n.AssigneeID != nil {
		q += " AND EXISTS (SELECT 1 FROM project_members AS a WHERE a.project_id = ? AND a.user_id = ?)"
		args = append(args, n.ProjectID, *n.AssigneeID)
	}
	res, err := r.db.NewRaw(q, args...).Exec(ctx)
	if key, dup := IsDuplicate(err); dup && claim != nil && (key == "" || key == "tasks_idempotency_id_uq") {
		return false, dp.ErrIdempotencyKeyUsed.Wrap(err)
	}
	if err != nil {
		return false, missingParent(err, taskParents)
	}
	affected, err := res.RowsAffected()
	if err != nil || affected == 0 {
		return false, MapError(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return false, MapError(err)
	}
	t.ID = id
	return true, nil
}

// SaveIfMember is one UPDATE joined with the caller's membership and
// guarded by the version read: the authorisation and the compare-and-set
// write are one autocommit statement. Of two writers holding the same
// version exactly one matches; the other changes nothing.
func (r *TaskRepository) SaveIfMember(ctx context.Context, t dp.Task, prev, userID int64) (bool, error) {
	n := taskFromDomain(t)
	q := "UPDATE tasks AS t JOIN project_members AS m ON m.project_id = t.project_id AND m.user_id = ?" +
		" SET t.title = ?, t.description = ?, t.status = ?, t.priority = ?, t.assignee_id = ?, t.due_date = ?," +
		" t.due_order = ?, t.updated_at = ?, t.completed_at = ?, t.version = ? WHERE t.id = ? AND t.version = ?"
	args := []any{userID, n.Title, n.Description, n.Status, n.Priority, n.AssigneeID, n.DueDate, n.DueOrder,
		n.UpdatedAt, n.CompletedAt, n.Version, n.ID, prev}
	if n.AssigneeID != nil {
		q += " AND EXISTS (SELECT 1 FROM project_members AS a WHERE a.project_id = t.project_id AND a.user_id = ?)"
		args = append(args, *n.AssigneeID)
	}
	res, err := r.db.NewRaw(q, args...).Exec(ctx)
	if err != nil {
		return false, missingParent(err, taskParents)
	}
	affected, err := res.RowsAffected()
	if err != nil {
		return false, MapError(err)
	}
	return affected > 0, nil
}

// Delete removes the task when its version is version (0: any); comments
// go with it by foreign-key cascade. See deleteVersioned.
func (r *TaskRepository) Delete(ctx context.Context, id, version int64) error {
	return deleteVersioned(ctx, r.db, "tasks", id, version)
}

// AssignedTo returns the IDs of the project's tasks assigned to userID,
// over tasks_assignee_id_idx.
func (r *TaskRepository) AssignedTo(ctx context.Context, projectID, userID int64) ([]int64, error) {
	var ids []int64
	if err := r.db.NewRaw("SELECT id FROM tasks WHERE assignee_id = ? AND project_id = ? ORDER BY id",
		userID, projectID).Scan(ctx, &ids); err != nil {
		return nil, MapError(err)
	}
	return ids, nil
}
