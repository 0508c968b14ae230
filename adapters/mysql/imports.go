package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// importedUserRow is a users row with the columns of the Django import
// (migrations/sql/00003_django_import.sql). userRow leaves them out, so
// the rest of Onit never writes them.
type importedUserRow struct {
	bun.BaseModel `bun:"table:users"`

	ID          int64          `bun:"id,pk,autoincrement"`
	Email       string         `bun:"email"`
	EmailKey    string         `bun:"email_key"`
	Name        string         `bun:"name"`
	Password    string         `bun:"password"`
	Language    string         `bun:"language"`
	IsActive    bool           `bun:"is_active"`
	IsStaff     bool           `bun:"is_staff"`
	IsSuperuser bool           `bun:"is_superuser"`
	DateJoined  time.Time      `bun:"date_joined"`
	LastLogin   *time.Time     `bun:"last_login"`
	DjangoID    sql.NullInt64  `bun:"django_id"`
	Fingerprint sql.NullString `bun:"django_fingerprint"`
}

func importedUserFromDomain(u cutover.ImportedUser) importedUserRow {
	r := userFromDomain(u.User)
	return importedUserRow{
		ID: r.ID, Email: r.Email, EmailKey: r.EmailKey, Name: r.Name, Password: r.Password, Language: r.Language,
		IsActive: r.IsActive, IsStaff: r.IsStaff, IsSuperuser: r.IsSuperuser, DateJoined: r.DateJoined, LastLogin: r.LastLogin,
		DjangoID:    sql.NullInt64{Int64: u.SourceID, Valid: u.SourceID != 0},
		Fingerprint: sql.NullString{String: u.Fingerprint, Valid: u.SourceID != 0},
	}
}

func (r importedUserRow) toDomain() cutover.ImportedUser {
	u := userRow{ID: r.ID, Email: r.Email, EmailKey: r.EmailKey, Name: r.Name, Password: r.Password, Language: r.Language,
		IsActive: r.IsActive, IsStaff: r.IsStaff, IsSuperuser: r.IsSuperuser, DateJoined: r.DateJoined, LastLogin: r.LastLogin}
	return cutover.ImportedUser{User: u.toDomain(), SourceID: r.DjangoID.Int64, Fingerprint: r.Fingerprint.String}
}

func importedUsers(rows []importedUserRow) []cutover.ImportedUser {
	out := make([]cutover.ImportedUser, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out
}

// ImportedUserRepository is the import's view of the users table.
type ImportedUserRepository struct{ db bun.IDB }

var _ ports.ImportedUserRepository = (*ImportedUserRepository)(nil)

// NewImportedUserRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewImportedUserRepository(db bun.IDB) *ImportedUserRepository {
	return &ImportedUserRepository{db: db}
}

// LockBySourceIDs reads the users imported from ids with SELECT … FOR
// UPDATE (over users_django_id_uq), so a login racing the import cannot
// change them between the import's comparison and its write.
func (r *ImportedUserRepository) LockBySourceIDs(ctx context.Context, ids []int64) ([]cutover.ImportedUser, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []importedUserRow
	if err := r.db.NewSelect().Model(&rows).Where("django_id IN (?)", bun.List(ids)).For("UPDATE").Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	return importedUsers(rows), nil
}

// ByEmailKeys returns the users with those email keys.
func (r *ImportedUserRepository) ByEmailKeys(ctx context.Context, keys []string) ([]cutover.ImportedUser, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var rows []importedUserRow
	if err := r.db.NewSelect().Model(&rows).Where("email_key IN (?)", bun.List(keys)).Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	return importedUsers(rows), nil
}

// Create inserts the users in one multi-row INSERT (atomic in InnoDB),
// then reads their IDs back by source ID: the IDs of a multi-row insert
// are consecutive only under some auto-increment settings, so they are
// not computed. Round-trips: INSERT and SELECT.
func (r *ImportedUserRepository) Create(ctx context.Context, users []*cutover.ImportedUser) error {
	if len(users) == 0 {
		return nil
	}
	rows := make([]importedUserRow, len(users))
	ids := make([]int64, len(users))
	for i, u := range users {
		rows[i] = importedUserFromDomain(*u)
		rows[i].ID = 0
		ids[i] = u.SourceID
	}
	if _, err := r.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return mapUserError(err)
	}
	var back []struct {
		ID       int64 `bun:"id"`
		DjangoID int64 `bun:"django_id"`
	}
	if err := r.db.NewSelect().Table("users").Column("id", "django_id").
		Where("django_id IN (?)", bun.List(ids)).Scan(ctx, &back); err != nil {
		return MapError(err)
	}
	byDjango := make(map[int64]int64, len(back))
	for _, b := range back {
		byDjango[b.DjangoID] = b.ID
	}
	for _, u := range users {
		u.User.ID = byDjango[u.SourceID]
	}
	return nil
}

// Update writes u over the user imported from u.SourceID.
func (r *ImportedUserRepository) Update(ctx context.Context, u cutover.ImportedUser) error {
	row := importedUserFromDomain(u)
	res, err := r.db.NewUpdate().Model(&row).
		Column("email", "email_key", "name", "password", "language", "is_active", "is_staff", "is_superuser",
			"date_joined", "last_login", "django_fingerprint").
		Where("django_id = ?", u.SourceID).Exec(ctx)
	if err != nil {
		return mapUserError(err)
	}
	return r.matched(ctx, res, "users", "django_id = ?", u.SourceID)
}

// matched turns an UPDATE that changed no row into NotFound when no row
// matches where. MySQL reports rows changed, not rows matched (unless the
// driver's clientFoundRows is set), so 0 also means "already so".
func (r *ImportedUserRepository) matched(ctx context.Context, res sql.Result, table, where string, arg any) error {
	return matched(ctx, r.db, res, table, where, arg)
}

// SourceIDsAfter walks imported users by source ID.
func (r *ImportedUserRepository) SourceIDsAfter(ctx context.Context, after int64, limit int) ([]cutover.ImportedUser, error) {
	var rows []importedUserRow
	if err := r.db.NewSelect().Model(&rows).Where("django_id > ?", after).
		OrderExpr("django_id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	return importedUsers(rows), nil
}

func matched(ctx context.Context, db bun.IDB, res sql.Result, table, where string, arg any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return MapError(err)
	}
	if n > 0 {
		return nil
	}
	exists, err := db.NewSelect().Table(table).Where(where, arg).Exists(ctx)
	if err != nil {
		return MapError(err)
	}
	if !exists {
		return MapError(sql.ErrNoRows)
	}
	return nil
}

// importedSessionRow is a sessions row with its import run.
type importedSessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64         `bun:"id,pk,autoincrement"`
	TokenHash string        `bun:"token_hash"`
	UserID    int64         `bun:"user_id"`
	CreatedAt time.Time     `bun:"created_at"`
	ExpiresAt time.Time     `bun:"expires_at"`
	Run       sql.NullInt64 `bun:"django_import_run"`
}

func (r importedSessionRow) toDomain() cutover.ImportedSession {
	return cutover.ImportedSession{Session: accounts.Session{TokenHash: r.TokenHash, UserID: r.UserID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, Run: r.Run.Int64}
}

// ImportedSessionRepository is the import's view of the sessions table.
type ImportedSessionRepository struct{ db bun.IDB }

var _ ports.ImportedSessionRepository = (*ImportedSessionRepository)(nil)

// NewImportedSessionRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewImportedSessionRepository(db bun.IDB) *ImportedSessionRepository {
	return &ImportedSessionRepository{db: db}
}

// ByHashes returns the sessions with those hashes.
func (r *ImportedSessionRepository) ByHashes(ctx context.Context, hashes []string) ([]cutover.ImportedSession, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	var rows []importedSessionRow
	if err := r.db.NewSelect().Model(&rows).Where("token_hash IN (?)", bun.List(hashes)).Scan(ctx); err != nil {
		return nil, MapError(err)
	}
	out := make([]cutover.ImportedSession, len(rows))
	for i, row := range rows {
		out[i] = row.toDomain()
	}
	return out, nil
}

// Create inserts the sessions in one multi-row INSERT.
func (r *ImportedSessionRepository) Create(ctx context.Context, sessions []cutover.ImportedSession) error {
	if len(sessions) == 0 {
		return nil
	}
	rows := make([]importedSessionRow, len(sessions))
	for i, s := range sessions {
		rows[i] = importedSessionRow{TokenHash: s.Session.TokenHash, UserID: s.Session.UserID,
			CreatedAt: dbTime(s.Session.CreatedAt), ExpiresAt: dbTime(s.Session.ExpiresAt),
			Run: sql.NullInt64{Int64: s.Run, Valid: true}}
	}
	_, err := r.db.NewInsert().Model(&rows).Exec(ctx)
	return MapError(err)
}

// Update rewrites imported sessions one UPDATE each; only sessions Django
// changed come here, few on any run.
func (r *ImportedSessionRepository) Update(ctx context.Context, sessions []cutover.ImportedSession) error {
	for _, s := range sessions {
		if _, err := r.db.NewUpdate().Table("sessions").
			Set("user_id = ?", s.Session.UserID).Set("created_at = ?", dbTime(s.Session.CreatedAt)).
			Set("expires_at = ?", dbTime(s.Session.ExpiresAt)).Set("django_import_run = ?", s.Run).
			Where("token_hash = ?", s.Session.TokenHash).Where("django_import_run IS NOT NULL").Exec(ctx); err != nil {
			return MapError(err)
		}
	}
	return nil
}

// Confirm stamps the run on the imported sessions in one UPDATE.
func (r *ImportedSessionRepository) Confirm(ctx context.Context, run int64, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	_, err := r.db.NewUpdate().Table("sessions").Set("django_import_run = ?", run).
		Where("token_hash IN (?)", bun.List(hashes)).Where("django_import_run IS NOT NULL").Exec(ctx)
	return MapError(err)
}

// Stale returns imported sessions of other runs, over
// sessions_django_import_run_idx.
func (r *ImportedSessionRepository) Stale(ctx context.Context, run int64, limit int) ([]string, error) {
	var hashes []string
	err := r.db.NewSelect().Table("sessions").Column("token_hash").
		Where("django_import_run IS NOT NULL").Where("django_import_run <> ?", run).
		OrderExpr("token_hash").Limit(int64(limit)).Scan(ctx, &hashes)
	return hashes, MapError(err)
}

// Delete removes the sessions with those hashes.
func (r *ImportedSessionRepository) Delete(ctx context.Context, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	_, err := r.db.NewDelete().TableExpr("sessions").Where("token_hash IN (?)", bun.List(hashes)).Exec(ctx)
	return MapError(err)
}

// importRunRow is a row of django_imports; the counts, collisions and
// sample travel as one JSON document (runState), which only this adapter
// reads.
type importRunRow struct {
	bun.BaseModel `bun:"table:django_imports"`

	ID              int64      `bun:"id,pk,autoincrement"`
	Source          string     `bun:"source"`
	Phase           string     `bun:"phase"`
	AfterUserID     int64      `bun:"after_user_id"`
	AfterSessionKey string     `bun:"after_session_key"`
	State           string     `bun:"state"`
	StartedAt       time.Time  `bun:"started_at"`
	UpdatedAt       time.Time  `bun:"updated_at"`
	FinishedAt      *time.Time `bun:"finished_at"`
}

type runState struct {
	Tally      map[string]int64 `json:"tally"`
	Collisions []collisionDTO   `json:"collisions,omitempty"`
	Sample     []int64          `json:"sample,omitempty"`
}

type collisionDTO struct {
	EmailKey  string  `json:"email_key"`
	SourceIDs []int64 `json:"source_ids"`
}

func runFromDomain(r cutover.Run) (importRunRow, error) {
	st := runState{Tally: r.Tally, Sample: r.Sample}
	for _, c := range r.Collisions {
		st.Collisions = append(st.Collisions, collisionDTO(c))
	}
	b, err := json.Marshal(st)
	if err != nil {
		return importRunRow{}, fmt.Errorf("import run state: %w", err)
	}
	row := importRunRow{ID: r.ID, Source: r.Source, Phase: string(r.Phase), AfterUserID: r.AfterUserID,
		AfterSessionKey: r.AfterSessionKey, State: string(b), StartedAt: dbTime(r.StartedAt), UpdatedAt: dbTime(r.UpdatedAt)}
	if r.FinishedAt != nil {
		t := dbTime(*r.FinishedAt)
		row.FinishedAt = &t
	}
	return row, nil
}

func (row importRunRow) toDomain() (cutover.Run, error) {
	var st runState
	if err := json.Unmarshal([]byte(row.State), &st); err != nil {
		return cutover.Run{}, fmt.Errorf("import run %d state: %w", row.ID, err)
	}
	r := cutover.Run{ID: row.ID, Source: row.Source, Phase: cutover.Phase(row.Phase), AfterUserID: row.AfterUserID,
		AfterSessionKey: row.AfterSessionKey, Tally: st.Tally, Sample: st.Sample,
		StartedAt: row.StartedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}
	if r.Tally == nil {
		r.Tally = map[string]int64{}
	}
	for _, c := range st.Collisions {
		r.Collisions = append(r.Collisions, cutover.Collision(c))
	}
	if row.FinishedAt != nil {
		t := row.FinishedAt.UTC()
		r.FinishedAt = &t
	}
	return r, nil
}

// ImportRunRepository keeps import runs in django_imports.
type ImportRunRepository struct{ db bun.IDB }

var _ ports.ImportRunRepository = (*ImportRunRepository)(nil)

// NewImportRunRepository returns a repository on db: the pool, or a
// transaction of the unit of work.
func NewImportRunRepository(db bun.IDB) *ImportRunRepository { return &ImportRunRepository{db: db} }

// Latest returns the newest run against source; NotFound when none.
func (r *ImportRunRepository) Latest(ctx context.Context, source string) (cutover.Run, error) {
	var row importRunRow
	if err := r.db.NewSelect().Model(&row).Where("source = ?", source).OrderExpr("id DESC").Limit(1).Scan(ctx); err != nil {
		return cutover.Run{}, MapError(err)
	}
	return row.toDomain()
}

// Create stores run and sets its ID.
func (r *ImportRunRepository) Create(ctx context.Context, run *cutover.Run) error {
	row, err := runFromDomain(*run)
	if err != nil {
		return err
	}
	row.ID = 0
	if _, err := r.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return MapError(err)
	}
	run.ID = row.ID
	return nil
}

// Save writes run over the stored one.
func (r *ImportRunRepository) Save(ctx context.Context, run cutover.Run) error {
	row, err := runFromDomain(run)
	if err != nil {
		return err
	}
	res, err := r.db.NewUpdate().Model(&row).WherePK().Exec(ctx)
	if err != nil {
		return MapError(err)
	}
	return matched(ctx, r.db, res, "django_imports", "id = ?", run.ID)
}
