package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectRepository is the in-memory twin of the projects table.
type ProjectRepository struct{ s *ProjectsStore }

var _ ports.ProjectRepository = (*ProjectRepository)(nil)

// Create inserts p and sets its ID.
func (r *ProjectRepository) Create(_ context.Context, p *dp.Project) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.d.seq++
	p.ID = r.s.d.seq
	r.s.d.projects[p.ID] = *p
	return nil
}

// ByID returns the project; NotFound when absent.
func (r *ProjectRepository) ByID(_ context.Context, id int64) (dp.Project, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	return p, nil
}

// ByIDForUser returns the project and the user's role; NotFound when absent.
func (r *ProjectRepository) ByIDForUser(_ context.Context, id, userID int64) (dp.Project, dp.Role, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, "", domain.ErrNotFound
	}
	return p, r.s.d.members[id][userID].Role, nil
}

// ListForUser returns the user's projects by descending ID after afterID.
func (r *ProjectRepository) ListForUser(_ context.Context, userID, afterID int64, limit int) ([]ports.ProjectWithRole, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []ports.ProjectWithRole
	for pid, ms := range r.s.d.members {
		if m, ok := ms[userID]; ok && (afterID == 0 || pid < afterID) {
			out = append(out, ports.ProjectWithRole{Project: r.s.d.projects[pid], Role: m.Role})
		}
	}
	slices.SortFunc(out, func(a, b ports.ProjectWithRole) int { return cmp.Compare(b.Project.ID, a.Project.ID) })
	return out[:min(limit, len(out))], nil
}

// Update applies fn under the project's row lock; PreconditionFailed when
// the version moved meanwhile (it cannot, under the lock, but the check
// mirrors MySQL's compare-and-set).
func (r *ProjectRepository) Update(_ context.Context, id int64, fn func(*dp.Project) error) (dp.Project, error) {
	defer r.s.lockRow("p:" + itoa(id))()
	r.s.mu.Lock()
	p, ok := r.s.d.projects[id]
	r.s.mu.Unlock()
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	old := p.Version
	if err := fn(&p); err != nil {
		return dp.Project{}, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	cur, ok := r.s.d.projects[id]
	if !ok {
		return dp.Project{}, domain.ErrNotFound
	}
	if cur.Version != old {
		return dp.Project{}, domain.ErrPreconditionFailed
	}
	p.ID = id
	r.s.d.projects[id] = p
	return p, nil
}

// Delete removes the project, its members, tasks and their comments when
// its version is version (0: any); NotFound when absent, PreconditionFailed
// when the version differs.
func (r *ProjectRepository) Delete(_ context.Context, id, version int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.s.d.projects[id]
	if !ok {
		return domain.ErrNotFound
	}
	if version != 0 && p.Version != version {
		return domain.ErrPreconditionFailed
	}
	delete(r.s.d.projects, id)
	delete(r.s.d.members, id)
	for tid, t := range r.s.d.tasks {
		if t.ProjectID == id {
			r.s.deleteTaskLocked(tid)
		}
	}
	return nil
}
