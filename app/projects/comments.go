package projects

import (
	"context"
	"fmt"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ListComments returns a page of a task's comments, oldest first, after the
// comment ID after.
func (s *Service) ListComments(ctx context.Context, caller, taskID, after int64, limit int) (items []dp.Comment, more bool, err error) {
	if limit, err = checkLimit(limit); err != nil {
		return nil, false, err
	}
	if _, _, err := s.taskAccess(ctx, caller, taskID); err != nil {
		return nil, false, err
	}
	items, err = s.repos.Comments.List(ctx, taskID, after, limit+1)
	return page(items, limit, err)
}

// AddComment adds a comment to a task; any member may.
func (s *Service) AddComment(ctx context.Context, caller, taskID int64, body, idemKey string) (c dp.Comment, replayed bool, err error) {
	now := s.now()
	c0, err := dp.NewComment(taskID, caller, body, now)
	if err != nil {
		return dp.Comment{}, false, err
	}
	return runCreate(ctx, s, caller, idemKey, fmt.Sprintf("comment:%d", taskID), body, func(ctx context.Context, r ports.Repos) (dp.Comment, error) {
		_, a, err := r.Tasks.ByIDForUser(ctx, taskID, caller)
		if err != nil {
			return dp.Comment{}, err
		}
		if a.Role == dp.RoleNone {
			return dp.Comment{}, domain.ErrNotFound
		}
		c := c0
		err = r.Comments.Create(ctx, &c)
		return c, err
	})
}
