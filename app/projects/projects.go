package projects

import (
	"context"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectView is a project as the caller sees it, with the caller's role.
type ProjectView = ports.ProjectWithRole

// NewProject is the input of CreateProject.
type NewProject struct {
	Name        string
	Description string
}

// CreateProject creates a project owned by caller. With an idempotency key a
// retry returns the first result and replayed=true.
func (s *Service) CreateProject(ctx context.Context, caller int64, in NewProject, idemKey string) (v ProjectView, replayed bool, err error) {
	now := s.now()
	ticket := s.cache.Ticket()
	p0, err := dp.NewProject(in.Name, in.Description, caller, now)
	if err != nil {
		return ProjectView{}, false, err
	}
	v, replayed, err = runCreate(ctx, s, caller, idemKey, "project", in, func(ctx context.Context, r ports.Repos) (ProjectView, error) {
		p := p0
		if err := r.Projects.Create(ctx, &p); err != nil {
			return ProjectView{}, err
		}
		m := dp.Member{ProjectID: p.ID, UserID: caller, Role: dp.RoleOwner, JoinedAt: now}
		if err := r.Members.Add(ctx, m); err != nil {
			return ProjectView{}, err
		}
		return ProjectView{Project: p, Role: dp.RoleOwner}, nil
	})
	if err == nil && !replayed {
		// A new project: no instance holds a copy to announce a change to.
		s.cache.PutProject(ctx, ticket, v.Project, map[int64]dp.Role{caller: dp.RoleOwner})
	}
	return v, replayed, err
}

// ListProjects returns a page of the caller's projects, newest first, after
// the project ID after (0: first page). more tells whether a next page exists.
func (s *Service) ListProjects(ctx context.Context, caller, after int64, limit int) (items []ProjectView, more bool, err error) {
	if limit, err = checkLimit(limit); err != nil {
		return nil, false, err
	}
	items, err = s.repos.Projects.ListForUser(ctx, caller, after, limit+1)
	return page(items, limit, err)
}

// GetProject returns a project the caller is a member of.
func (s *Service) GetProject(ctx context.Context, caller, id int64) (ProjectView, error) {
	if p, role, ok := s.cache.Project(ctx, id, caller); ok {
		if role == dp.RoleNone {
			return ProjectView{}, domain.ErrNotFound
		}
		return ProjectView{Project: p, Role: role}, nil
	}
	ticket := s.cache.Ticket()
	p, role, err := s.repos.Projects.ByIDForUser(ctx, id, caller)
	if err != nil {
		return ProjectView{}, err
	}
	s.cache.PutProject(ctx, ticket, p, map[int64]dp.Role{caller: role})
	if role == dp.RoleNone {
		return ProjectView{}, domain.ErrNotFound
	}
	return ProjectView{Project: p, Role: role}, nil
}

// UpdateProject edits a project; owners only. ifMatch lists the versions the
// client accepts (nil: any).
func (s *Service) UpdateProject(ctx context.Context, caller, id int64, c dp.ProjectChanges, ifMatch []int64) (ProjectView, error) {
	now := s.now()
	ticket := s.cache.Ticket()
	var p dp.Project
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		var err error
		p, err = r.Projects.Update(ctx, id, func(p *dp.Project) error {
			if err := requireRole(ctx, r, id, caller, dp.RoleOwner); err != nil {
				return err
			}
			if !versionMatches(ifMatch, p.Version) {
				return domain.ErrPreconditionFailed
			}
			return p.Edit(c, now)
		})
		return err
	})
	if err != nil {
		return ProjectView{}, err
	}
	s.cache.PutProject(ctx, ticket, p, map[int64]dp.Role{caller: dp.RoleOwner})
	s.announce(ctx, ports.Invalidation{Projects: []ports.ObjectVersion{{ID: p.ID, Version: p.Version}}})
	return ProjectView{Project: p, Role: dp.RoleOwner}, nil
}

// DeleteProject deletes a project with its members, tasks and comments in
// one transaction; owners only. With If-Match the delete is guarded by the
// version that matched, in the same statement, so a concurrent PATCH that
// commits after the read makes it PreconditionFailed, never lost.
func (s *Service) DeleteProject(ctx context.Context, caller, id int64, ifMatch []int64) error {
	err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		p, role, err := r.Projects.ByIDForUser(ctx, id, caller)
		if err != nil {
			return err
		}
		if err := allow(role, dp.RoleOwner); err != nil {
			return err
		}
		if !versionMatches(ifMatch, p.Version) {
			return domain.ErrPreconditionFailed
		}
		return r.Projects.Delete(ctx, id, guardVersion(ifMatch, p.Version))
	})
	if err == nil {
		s.cache.DropProject(ctx, id)
		s.announce(ctx, ports.Invalidation{Projects: []ports.ObjectVersion{{ID: id, Version: ports.Deleted}}})
	}
	return err
}
