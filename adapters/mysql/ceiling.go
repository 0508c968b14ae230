package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	dp "github.com/onitapp/onit/domain/projects"
)

// Ceiling is the least SQL a task list and a task create can do: one
// keyset SELECT, one autocommit INSERT, on a bare *sql.DB with no
// repository, unit of work or hooks around it. The load harness
// (.tools/bench) serves it from a bare echo program and states Onit's
// throughput as a fraction of it; the statements live here, with the rest
// of the SQL, so a schema change that breaks them breaks this package's
// tests rather than a benchmark run.
type Ceiling struct{ db *sql.DB }

// NewCeiling returns the ceiling's statements on db.
func NewCeiling(db *sql.DB) *Ceiling { return &Ceiling{db: db} }

// CeilingTask is one row as the list ceiling reads it: the columns Onit's
// task list reads.
type CeilingTask struct {
	ID          int64
	ProjectID   int64
	Title       string
	Description string
	Status      string
	Priority    int
	AssigneeID  *int64
	DueDate     *time.Time
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
	Version     int64
}

// ceilingPage is the first page of Onit's default task order (newest
// first), served by tasks_project_created_idx like Onit's own list.
const ceilingPage = "SELECT id, project_id, title, description, status, priority, assignee_id, due_date," +
	" created_by, created_at, updated_at, completed_at, version FROM tasks" +
	" WHERE project_id = ? ORDER BY created_at DESC, id DESC LIMIT 50"

// ceilingInsert is one task row, autocommit: the least a create can do.
const ceilingInsert = "INSERT INTO tasks (project_id, title, description, status, priority, due_order," +
	" created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"

// FirstPage reads the newest 50 tasks of a project. The DSN must have
// parseTime on, as Onit's does.
func (c *Ceiling) FirstPage(ctx context.Context, projectID int64) ([]CeilingTask, error) {
	rows, err := c.db.QueryContext(ctx, ceilingPage, projectID)
	if err != nil {
		return nil, fmt.Errorf("ceiling list of project %d: %w", projectID, MapError(err))
	}
	defer rows.Close()
	items := make([]CeilingTask, 0, 50)
	for rows.Next() {
		var t CeilingTask
		if err := rows.Scan(&t.ID, &t.ProjectID, &t.Title, &t.Description, &t.Status, &t.Priority, &t.AssigneeID,
			&t.DueDate, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt, &t.CompletedAt, &t.Version); err != nil {
			return nil, fmt.Errorf("ceiling list of project %d: %w", projectID, MapError(err))
		}
		items = append(items, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ceiling list of project %d: %w", projectID, MapError(err))
	}
	return items, nil
}

// Insert adds one task to a project, created by userID at now, and
// returns its id. The row is what Onit stores for a task created with a
// title and description only: to do, normal priority, undated.
func (c *Ceiling) Insert(ctx context.Context, projectID, userID int64, title, description string, now time.Time) (int64, error) {
	res, err := c.db.ExecContext(ctx, ceilingInsert, projectID, title, description,
		string(dp.StatusTodo), dp.PriorityNormal.Rank(), dp.NoDueDate.Time(), userID, now, now)
	if err != nil {
		return 0, fmt.Errorf("ceiling insert into project %d: %w", projectID, MapError(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("ceiling insert into project %d: %w", projectID, MapError(err))
	}
	return id, nil
}
