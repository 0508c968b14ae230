package mysql

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// memberRow is a row of project_members, with the user's email and name
// joined in when read.
type memberRow struct {
	bun.BaseModel `bun:"table:project_members"`

	ID        int64     `bun:"id,pk,autoincrement"`
	ProjectID int64     `bun:"project_id"`
	UserID    int64     `bun:"user_id"`
	Role      string    `bun:"role"`
	JoinedAt  time.Time `bun:"joined_at"`
	Email     string    `bun:"email,scanonly"`
	Name      string    `bun:"name,scanonly"`
}

func (r memberRow) toDomain() dp.Member {
	return dp.Member{ProjectID: r.ProjectID, UserID: r.UserID, Email: r.Email, Name: r.Name,
		Role: dp.Role(r.Role), JoinedAt: r.JoinedAt.UTC()}
}

const memberCols = "m.project_id, m.user_id, m.`role`, m.joined_at, u.email, u.name" +
	" FROM project_members AS m JOIN users AS u ON u.id = m.user_id"

// MemberRepository stores memberships in project_members.
type MemberRepository struct {
	db bun.IDB
	rr *ReadRouter // lag-tolerant reads (lists); nil: db
}

var _ ports.MemberRepository = (*MemberRepository)(nil)

// NewMemberRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewMemberRepository(db bun.IDB) *MemberRepository { return &MemberRepository{db: db} }

// Add inserts m. ErrAlreadyMember on the unique (project, user) key;
// NotFound when the project or the user does not exist.
func (r *MemberRepository) Add(ctx context.Context, m dp.Member) error {
	row := memberRow{ProjectID: m.ProjectID, UserID: m.UserID, Role: string(m.Role), JoinedAt: dbTime(m.JoinedAt)}
	_, err := r.db.NewInsert().Model(&row).Exec(ctx)
	if _, dup := IsDuplicate(err); dup {
		return dp.ErrAlreadyMember.Wrap(err)
	}
	if err != nil {
		return missingParent(err, nil)
	}
	return nil
}

// Roles reads the members among userIDs and all owners in one range scan
// of project_members_project_user_uq.
func (r *MemberRepository) Roles(ctx context.Context, projectID int64, userIDs ...int64) (map[int64]dp.Role, []int64, error) {
	var rows []memberRow
	q := "SELECT m.user_id, m.`role` FROM project_members AS m WHERE m.project_id = ? AND (m.`role` = 'owner'"
	args := []any{projectID}
	if len(userIDs) > 0 {
		q += " OR m.user_id IN (?)"
		args = append(args, bun.List(userIDs))
	}
	q += ") ORDER BY m.user_id"
	if err := r.db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return nil, nil, MapError(err)
	}
	roles := map[int64]dp.Role{}
	var owners []int64
	for _, row := range rows {
		for _, id := range userIDs {
			if id == row.UserID {
				roles[id] = dp.Role(row.Role)
			}
		}
		if dp.Role(row.Role) == dp.RoleOwner {
			owners = append(owners, row.UserID)
		}
	}
	return roles, owners, nil
}

// Get returns one membership with the user's email and name.
func (r *MemberRepository) Get(ctx context.Context, projectID, userID int64) (dp.Member, error) {
	var rows []memberRow
	if err := r.db.NewRaw("SELECT "+memberCols+" WHERE m.project_id = ? AND m.user_id = ?", projectID, userID).Scan(ctx, &rows); err != nil {
		return dp.Member{}, MapError(err)
	}
	if len(rows) == 0 {
		return dp.Member{}, dp.ErrMemberNotFound
	}
	return rows[0].toDomain(), nil
}

// List reads members in user ID order from project_members_project_user_uq.
func (r *MemberRepository) List(ctx context.Context, projectID, afterUserID int64, limit int) ([]dp.Member, error) {
	var rows []memberRow
	err := readOn(ctx, r.rr, r.db, func(db bun.IDB) error {
		rows = nil
		return db.NewRaw("SELECT "+memberCols+" WHERE m.project_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?",
			projectID, afterUserID, limit).Scan(ctx, &rows)
	})
	if err != nil {
		return nil, MapError(err)
	}
	out := make([]dp.Member, len(rows))
	for i, row := range rows {
		out[i] = row.toDomain()
	}
	return out, nil
}

// SetRole changes a member's role; ErrMemberNotFound when not a member.
func (r *MemberRepository) SetRole(ctx context.Context, projectID, userID int64, role dp.Role) error {
	res, err := r.db.NewRaw("UPDATE project_members SET `role` = ? WHERE project_id = ? AND user_id = ?",
		string(role), projectID, userID).Exec(ctx)
	if err := affectedOne(res, err, dp.ErrMemberNotFound); !errors.Is(err, dp.ErrMemberNotFound) {
		return err
	}
	// MySQL counts changed rows: an unchanged role also reports 0.
	_, err = r.Get(ctx, projectID, userID)
	return err
}

// Remove deletes a membership; ErrMemberNotFound when not a member.
func (r *MemberRepository) Remove(ctx context.Context, projectID, userID int64) error {
	res, err := r.db.NewRaw("DELETE FROM project_members WHERE project_id = ? AND user_id = ?", projectID, userID).Exec(ctx)
	return affectedOne(res, err, dp.ErrMemberNotFound)
}
