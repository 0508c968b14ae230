package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// projectRow is a row of the projects table (migrations/sql/00002_projects.sql).
type projectRow struct {
	bun.BaseModel `bun:"table:projects"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	OwnerID     int64     `bun:"owner_id"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
	Version     int64     `bun:"version"`
}

// projectRoleRow is a project read together with one user's membership.
type projectRoleRow struct {
	projectRow `bun:",extend"`
	Role       sql.NullString `bun:"role"`
}

const projectCols = "p.id, p.name, p.description, p.owner_id, p.created_at, p.updated_at, p.version"

func projectFromDomain(p dp.Project) projectRow {
	return projectRow{ID: p.ID, Name: p.Name, Description: p.Description, OwnerID: p.OwnerID,
		CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt), Version: p.Version}
}

func (r projectRow) toDomain() dp.Project {
	return dp.Project{ID: r.ID, Name: r.Name, Description: r.Description, OwnerID: r.OwnerID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version}
}

// ProjectRepository stores projects in the projects table.
type ProjectRepository struct {
	db bun.IDB
	rr *ReadRouter // lag-tolerant reads (lists); nil: db
}

var _ ports.ProjectRepository = (*ProjectRepository)(nil)

// NewProjectRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewProjectRepository(db bun.IDB) *ProjectRepository { return &ProjectRepository{db: db} }

// Create inserts p and sets its ID. Invalid when the owner does not exist.
func (r *ProjectRepository) Create(ctx context.Context, p *dp.Project) error {
	row := projectFromDomain(*p)
	row.ID = 0
	if _, err := r.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return MapError(err)
	}
	p.ID = row.ID
	return nil
}

// ByID returns the project; NotFound when absent.
func (r *ProjectRepository) ByID(ctx context.Context, id int64) (dp.Project, error) {
	var row projectRow
	err := r.db.NewRaw("SELECT "+projectCols+" FROM projects AS p WHERE p.id = ?", id).Scan(ctx, &row)
	if err != nil {
		return dp.Project{}, MapError(err)
	}
	return row.toDomain(), nil
}

// ByIDForUser returns the project and the user's role in one statement (a
// primary-key lookup and a unique-key lookup), so both are read at once.
func (r *ProjectRepository) ByIDForUser(ctx context.Context, id, userID int64) (dp.Project, dp.Role, error) {
	var row projectRoleRow
	err := r.db.NewRaw("SELECT "+projectCols+", m.`role`"+
		" FROM projects AS p LEFT JOIN project_members AS m ON m.project_id = p.id AND m.user_id = ?"+
		" WHERE p.id = ?", userID, id).Scan(ctx, &row)
	if err != nil {
		return dp.Project{}, "", MapError(err)
	}
	return row.toDomain(), dp.Role(row.Role.String), nil
}

// ListForUser scans project_members_user_project_idx backwards from afterID
// (newest project first; IDs grow with creation) and joins each project by
// primary key: limit rows read, no sort.
func (r *ProjectRepository) ListForUser(ctx context.Context, userID, afterID int64, limit int) ([]ports.ProjectWithRole, error) {
	q := "SELECT " + projectCols + ", m.`role`" +
		" FROM project_members AS m JOIN projects AS p ON p.id = m.project_id WHERE m.user_id = ?"
	args := []any{userID}
	if afterID > 0 {
		q += " AND m.project_id < ?"
		args = append(args, afterID)
	}
	q += " ORDER BY m.project_id DESC LIMIT ?"
	args = append(args, limit)
	var rows []projectRoleRow
	if err := readOn(ctx, r.rr, r.db, func(db bun.IDB) error {
		rows = nil
		return db.NewRaw(q, args...).Scan(ctx, &rows)
	}); err != nil {
		return nil, MapError(err)
	}
	out := make([]ports.ProjectWithRole, len(rows))
	for i, row := range rows {
		out[i] = ports.ProjectWithRole{Project: row.toDomain(), Role: dp.Role(row.Role.String)}
	}
	return out, nil
}

// Update reads the project with SELECT … FOR UPDATE, applies fn and writes
// it back with a compare-and-set on the version read: under InnoDB the lock
// makes the guard moot; on engines without row locks it turns a lost race
// into PreconditionFailed instead of a lost update.
func (r *ProjectRepository) Update(ctx context.Context, id int64, fn func(*dp.Project) error) (dp.Project, error) {
	var row projectRow
	err := r.db.NewRaw("SELECT "+projectCols+" FROM projects AS p WHERE p.id = ? FOR UPDATE", id).Scan(ctx, &row)
	if err != nil {
		return dp.Project{}, MapError(err)
	}
	p := row.toDomain()
	old := p.Version
	if err := fn(&p); err != nil {
		return dp.Project{}, err
	}
	if p.Version == old {
		// The CAS below relies on the version moving (MySQL reports changed
		// rows, not matched ones); domain methods always move it.
		return dp.Project{}, domain.Internal(errors.New("project update without a version change"))
	}
	p.ID = id
	n := projectFromDomain(p)
	res, err := r.db.NewRaw("UPDATE projects SET name = ?, description = ?, owner_id = ?, updated_at = ?, version = ?"+
		" WHERE id = ? AND version = ?", n.Name, n.Description, n.OwnerID, n.UpdatedAt, n.Version, id, old).Exec(ctx)
	if err := casResult(res, err); err != nil {
		return dp.Project{}, err
	}
	return n.toDomain(), nil
}

// Delete removes the project when its version is version (0: any); the
// foreign keys cascade to its members, its tasks and their comments inside
// the same statement, so it is atomic even outside a transaction.
func (r *ProjectRepository) Delete(ctx context.Context, id, version int64) error {
	return deleteVersioned(ctx, r.db, "projects", id, version)
}

// deleteVersioned deletes the row of table with that id, guarded by the
// version in the same statement (DELETE … WHERE id = ? AND version = ?):
// InnoDB checks the guard on the latest committed row under its exclusive
// lock, so a write that commits between the caller's read and the delete
// makes the delete match nothing instead of being lost. Only when nothing
// matched does one more read tell a moved version (PreconditionFailed)
// from a row that is gone (NotFound); under READ COMMITTED that read sees
// the latest commit even inside a transaction. table is a constant of the
// callers, never input.
func deleteVersioned(ctx context.Context, db bun.IDB, table string, id, version int64) error {
	q, args := "DELETE FROM "+table+" WHERE id = ?", []any{id}
	if version != 0 {
		q += " AND version = ?"
		args = append(args, version)
	}
	res, err := db.NewRaw(q, args...).Exec(ctx)
	if err != nil {
		return MapError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return MapError(err)
	}
	if n > 0 {
		return nil
	}
	if version == 0 {
		return domain.ErrNotFound
	}
	var found []int64
	if err := db.NewRaw("SELECT id FROM "+table+" WHERE id = ?", id).Scan(ctx, &found); err != nil {
		return MapError(err)
	}
	if len(found) == 0 {
		return domain.ErrNotFound
	}
	return domain.ErrPreconditionFailed
}

// casResult maps a compare-and-set UPDATE's outcome: no row changed means
// the version moved under us.
func casResult(res sql.Result, err error) error {
	return affectedOne(res, err, domain.ErrPreconditionFailed)
}

// affectedOne returns none when the statement changed no row.
func affectedOne(res sql.Result, err error, none error) error {
	if err != nil {
		return MapError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return MapError(err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// missingParent maps a foreign-key failure on insert to the error of the
// constraint that failed; other errors go through MapError.
func missingParent(err error, byConstraint map[string]error) error {
	if c, ok := ForeignKey(err); ok && IsMissingParent(err) {
		if e, ok := byConstraint[c]; ok {
			if de, ok := domain.As(e); ok {
				return de.Wrap(err)
			}
			return e
		}
		return domain.ErrNotFound.Wrap(fmt.Errorf("constraint %q: %w", c, err))
	}
	return MapError(err)
}
