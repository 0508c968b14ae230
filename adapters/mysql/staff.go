package mysql

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// StaffDirectory answers the staff console's searches. It reads the
// primary, never the replica: a console that just deactivated someone
// must show it.
type StaffDirectory struct{ db bun.IDB }

var _ ports.StaffDirectory = (*StaffDirectory)(nil)

// NewStaffDirectory returns the directory on db.
func NewStaffDirectory(db bun.IDB) *StaffDirectory { return &StaffDirectory{db: db} }

// likeEscape makes s a literal inside a LIKE pattern whose ESCAPE is '!'.
// '!' rather than the default backslash, which a server running with
// NO_BACKSLASH_ESCAPES would read differently.
var likeEscape = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// SearchUsers matches a substring of the email key (stored lowercased, so
// the query is lowercased too) or of the name (utf8mb4_unicode_ci: case-
// and accent-insensitive), as Django admin's icontains search does. A
// substring match scans the users table; staff searches are rare and the
// page is bounded by the primary key, so no full-text index is kept.
func (d *StaffDirectory) SearchUsers(ctx context.Context, query string, afterID int64, limit int) ([]accounts.User, error) {
	q := d.db.NewSelect().Model((*userRow)(nil)).Where("id > ?", afterID).Order("id").Limit(int64(limit))
	if query = strings.TrimSpace(query); query != "" {
		pat := "%" + likeEscape.Replace(query) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("email_key LIKE ? ESCAPE '!'", strings.ToLower(pat)).
				WhereOr("name LIKE ? ESCAPE '!'", pat)
		})
	}
	var rows []userRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, MapError(err)
	}
	out := make([]accounts.User, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// CountProjects counts the user's memberships over
// project_members_user_project_idx.
func (d *StaffDirectory) CountProjects(ctx context.Context, userID int64) (int, error) {
	n, err := d.db.NewSelect().TableExpr("project_members").Where("user_id = ?", userID).Count(ctx)
	if err != nil {
		return 0, MapError(err)
	}
	return int(n), nil
}

// auditRow is a row of audit_log (migrations/sql/00007_staff_audit.sql).
type auditRow struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID          int64     `bun:"id,pk,autoincrement"`
	ActorID     int64     `bun:"actor_id"`
	ActorEmail  string    `bun:"actor_email"`
	Action      string    `bun:"action"`
	TargetID    int64     `bun:"target_id"`
	TargetEmail string    `bun:"target_email"`
	Message     string    `bun:"message"`
	CreatedAt   time.Time `bun:"created_at"`
}

func (r auditRow) toDomain() accounts.AuditEntry {
	return accounts.AuditEntry{ID: r.ID, ActorID: r.ActorID, ActorEmail: r.ActorEmail, Action: accounts.AuditAction(r.Action),
		TargetID: r.TargetID, TargetEmail: r.TargetEmail, Message: r.Message, CreatedAt: r.CreatedAt.UTC()}
}

// AuditLog is the audit_log table.
type AuditLog struct{ db bun.IDB }

var _ ports.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns the log on db: the pool, or a transaction of the
// unit of work (where the console's actions write it).
func NewAuditLog(db bun.IDB) *AuditLog { return &AuditLog{db: db} }

// Append inserts e and sets its ID and its time as stored.
func (l *AuditLog) Append(ctx context.Context, e *accounts.AuditEntry) error {
	row := auditRow{ActorID: e.ActorID, ActorEmail: e.ActorEmail, Action: string(e.Action), TargetID: e.TargetID,
		TargetEmail: e.TargetEmail, Message: e.Message, CreatedAt: dbTime(e.CreatedAt)}
	if _, err := l.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return MapError(err)
	}
	e.ID, e.CreatedAt = row.ID, row.CreatedAt
	return nil
}

// List reads one page by descending ID: the primary key alone, or
// audit_log_target_id_idx for one user.
func (l *AuditLog) List(ctx context.Context, q ports.AuditQuery) ([]accounts.AuditEntry, error) {
	sel := l.db.NewSelect().Model((*auditRow)(nil)).OrderExpr("id DESC").Limit(int64(q.Limit))
	if q.TargetID > 0 {
		sel = sel.Where("target_id = ?", q.TargetID)
	}
	if q.BeforeID > 0 {
		sel = sel.Where("id < ?", q.BeforeID)
	}
	var rows []auditRow
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, MapError(err)
	}
	out := make([]accounts.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}
