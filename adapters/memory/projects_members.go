package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// MemberRepository is the in-memory twin of the project_members table.
type MemberRepository struct{ s *ProjectsStore }

var _ ports.MemberRepository = (*MemberRepository)(nil)

// Add inserts m; ErrAlreadyMember when present, NotFound for an unknown
// project or user.
func (r *MemberRepository) Add(ctx context.Context, m dp.Member) error {
	if r.s.users != nil {
		if _, err := r.s.users.ByID(ctx, m.UserID); err != nil {
			return err
		}
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.projects[m.ProjectID]; !ok {
		return domain.ErrNotFound
	}
	ms := r.s.d.members[m.ProjectID]
	if ms == nil {
		ms = map[int64]dp.Member{}
		r.s.d.members[m.ProjectID] = ms
	}
	if _, ok := ms[m.UserID]; ok {
		return dp.ErrAlreadyMember
	}
	ms[m.UserID] = m
	return nil
}

// Roles returns the members among userIDs and every owner, ascending.
func (r *MemberRepository) Roles(_ context.Context, projectID int64, userIDs ...int64) (map[int64]dp.Role, []int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	roles := map[int64]dp.Role{}
	var owners []int64
	for uid, m := range r.s.d.members[projectID] {
		if slices.Contains(userIDs, uid) {
			roles[uid] = m.Role
		}
		if m.Role == dp.RoleOwner {
			owners = append(owners, uid)
		}
	}
	slices.Sort(owners)
	return roles, owners, nil
}

// Get returns one membership; ErrMemberNotFound when absent.
func (r *MemberRepository) Get(ctx context.Context, projectID, userID int64) (dp.Member, error) {
	r.s.mu.Lock()
	m, ok := r.s.d.members[projectID][userID]
	r.s.mu.Unlock()
	if !ok {
		return dp.Member{}, dp.ErrMemberNotFound
	}
	return r.withUser(ctx, m), nil
}

// List returns members by ascending user ID after afterUserID.
func (r *MemberRepository) List(ctx context.Context, projectID, afterUserID int64, limit int) ([]dp.Member, error) {
	r.s.mu.Lock()
	var out []dp.Member
	for uid, m := range r.s.d.members[projectID] {
		if uid > afterUserID {
			out = append(out, m)
		}
	}
	r.s.mu.Unlock()
	slices.SortFunc(out, func(a, b dp.Member) int { return cmp.Compare(a.UserID, b.UserID) })
	out = out[:min(limit, len(out))]
	for i := range out {
		out[i] = r.withUser(ctx, out[i])
	}
	return out, nil
}

func (r *MemberRepository) withUser(ctx context.Context, m dp.Member) dp.Member {
	if r.s.users != nil {
		if u, err := r.s.users.ByID(ctx, m.UserID); err == nil {
			m.Email, m.Name = u.Email, u.Name
		}
	}
	return m
}

// SetRole changes a role; ErrMemberNotFound when absent.
func (r *MemberRepository) SetRole(_ context.Context, projectID, userID int64, role dp.Role) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m, ok := r.s.d.members[projectID][userID]
	if !ok {
		return dp.ErrMemberNotFound
	}
	m.Role = role
	r.s.d.members[projectID][userID] = m
	return nil
}

// Remove deletes a membership; ErrMemberNotFound when absent.
func (r *MemberRepository) Remove(_ context.Context, projectID, userID int64) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if _, ok := r.s.d.members[projectID][userID]; !ok {
		return dp.ErrMemberNotFound
	}
	delete(r.s.d.members[projectID], userID)
	return nil
}
