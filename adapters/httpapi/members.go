package httpapi

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	appprojects "github.com/onitapp/onit/app/projects"
	dp "github.com/onitapp/onit/domain/projects"
)

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

type addMemberReq struct {
	Email string `json:"email" validate:"required,max=254"`
	Role  string `json:"role" validate:"required,oneof=owner member"`
}

type setRoleReq struct {
	Role string `json:"role" validate:"required,oneof=owner member"`
}

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
