package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// CommentRepository is the in-memory twin of the comments table.
type CommentRepository struct{ s *ProjectsStore }

var _ ports.CommentRepository = (*CommentRepository)(nil)

// Create inserts c and sets its ID; NotFound when the task is gone.
func (r *CommentRepository) Create(_ context.Context, c *dp.Comment) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.tasks[c.TaskID]; !ok {
		return domain.ErrNotFound
	}
	r.s.d.seq++
	c.ID = r.s.d.seq
	r.s.d.comments[c.ID] = *c
	return nil
}

// List returns a task's comments by ascending ID after afterID.
func (r *CommentRepository) List(_ context.Context, taskID, afterID int64, limit int) ([]dp.Comment, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []dp.Comment
	for _, c := range r.s.d.comments {
		if c.TaskID == taskID && c.ID > afterID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b dp.Comment) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}
