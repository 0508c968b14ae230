package httpapi

import (
	"fmt"

	"github.com/labstack/echo/v4"

	dp "github.com/onitapp/onit/domain/projects"
)

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

type createCommentReq struct {
	Body string `json:"body"`
}

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
