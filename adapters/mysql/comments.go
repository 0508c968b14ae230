package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// commentRow is a row of the comments table.
type commentRow struct {
	bun.BaseModel `bun:"table:comments"`

	ID        int64     `bun:"id,pk,autoincrement"`
	TaskID    int64     `bun:"task_id"`
	AuthorID  int64     `bun:"author_id"`
	Body      string    `bun:"body"`
	CreatedAt time.Time `bun:"created_at"`
}

// CommentRepository stores comments.
type CommentRepository struct {
	db bun.IDB
	rr *ReadRouter // lag-tolerant reads (lists); nil: db
}

var _ ports.CommentRepository = (*CommentRepository)(nil)

// NewCommentRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewCommentRepository(db bun.IDB) *CommentRepository { return &CommentRepository{db: db} }

// Create inserts c and sets its ID; NotFound when the task is gone.
func (r *CommentRepository) Create(ctx context.Context, c *dp.Comment) error {
	row := commentRow{TaskID: c.TaskID, AuthorID: c.AuthorID, Body: c.Body, CreatedAt: dbTime(c.CreatedAt)}
	if _, err := r.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return missingParent(err, nil)
	}
	c.ID = row.ID
	return nil
}

// List reads comments_task_id_idx (task_id, id) in order: no sort.
func (r *CommentRepository) List(ctx context.Context, taskID, afterID int64, limit int) ([]dp.Comment, error) {
	var rows []commentRow
	err := readOn(ctx, r.rr, r.db, func(db bun.IDB) error {
		rows = nil
		return db.NewRaw("SELECT id, task_id, author_id, body, created_at FROM comments"+
			" WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?", taskID, afterID, limit).Scan(ctx, &rows)
	})
	if err != nil {
		return nil, MapError(err)
	}
	out := make([]dp.Comment, len(rows))
	for i, r := range rows {
		out[i] = dp.Comment{ID: r.ID, TaskID: r.TaskID, AuthorID: r.AuthorID, Body: r.Body, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}
