package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// DjangoUserColumns names the columns of the Django users table. An empty
// name means the table has no such column: a custom AUTH_USER_MODEL built
// on AbstractBaseUser may lack everything but the ID, the password and
// last_login.
type DjangoUserColumns struct {
	ID, Email, Password                        string // required
	Name, FirstName, LastName, Username        string // at least one
	IsActive, IsStaff, IsSuperuser, DateJoined string
	LastLogin, Language                        string
}

// AuthUserColumns are the columns of Django's own auth_user.
func AuthUserColumns() DjangoUserColumns {
	return DjangoUserColumns{
		ID: "id", Email: "email", Password: "password",
		FirstName: "first_name", LastName: "last_name", Username: "username",
		IsActive: "is_active", IsStaff: "is_staff", IsSuperuser: "is_superuser",
		DateJoined: "date_joined", LastLogin: "last_login",
	}
}

// DjangoSourceConfig says where the Django data is.
type DjangoSourceConfig struct {
	UsersTable    string // default auth_user
	SessionsTable string // default django_session
	// Columns are the operator's column map: each named column must exist;
	// NoColumn says the table has none for that field.
	Columns DjangoUserColumns
	// Defaults fill the fields Columns leaves empty, each used only when
	// the table has it (usually AuthUserColumns()).
	Defaults DjangoUserColumns
}

// NoColumn in DjangoSourceConfig.Columns marks a field the users table
// does not have, so no default is tried for it.
const NoColumn = "-"

// identifier is what a table or column name may be here: plain names, so
// they can be quoted without escaping and never carry SQL.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,63}$`)

// sourceQueryTimeout bounds one query on the source: the collision scan
// reads the whole users table, which on a large one takes longer than
// Onit's per-request budget allows.
const sourceQueryTimeout = 5 * time.Minute

// DjangoSource reads the Django backend's users and sessions over a pool
// of its own whose connections are read-only (SET SESSION TRANSACTION READ
// ONLY): whatever the account may do, the import cannot write there.
type DjangoSource struct {
	db      *bun.DB
	cfg     DjangoSourceConfig
	where   string // host:port/database, never credentials
	userSQL string // the select list of a user row
}

var _ ports.DjangoSource = (*DjangoSource)(nil)

// OpenDjangoSource connects to the Django database named by dsn (a
// go-sql-driver DSN) with the TLS, CA bundle and timeouts of onit, the
// configuration of Onit's own database (its server fields are ignored),
// and checks that the tables and columns exist, so a wrong --map fails
// before anything is read. The error names what is missing.
func OpenDjangoSource(ctx context.Context, dsn string, onit Config, cfg DjangoSourceConfig, log *slog.Logger) (*DjangoSource, error) {
	if cfg.UsersTable == "" {
		cfg.UsersTable = "auth_user"
	}
	if cfg.SessionsTable == "" {
		cfg.SessionsTable = "django_session"
	}
	if err := checkNames(cfg); err != nil {
		return nil, err
	}
	settings := onit
	settings.DSN = dsn
	settings.MaxOpenConns = 2
	settings.QueryTimeout = max(settings.QueryTimeout, sourceQueryTimeout)
	dc, err := driverConfig(settings)
	if errors.Is(err, ErrBadDSN) {
		return nil, errors.New("mysql: the source DSN is not a valid go-sql-driver DSN")
	}
	if err != nil {
		return nil, fmt.Errorf("mysql: source: %w", err) // the TLS CA bundle
	}
	conn, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("mysql: source connector: %w", err)
	}
	sqldb := sql.OpenDB(readOnlyConnector{conn})
	configurePool(sqldb, settings)
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("mysql: source %s/%s: %w", dc.Addr, dc.DBName, MapError(err))
	}
	if log == nil {
		log = slog.Default()
	}
	db := bun.NewDB(sqldb, mysqldialect.New()).WithQueryHook(NewQueryHook(log, settings.SlowQuery, nil))
	s := &DjangoSource{db: db, cfg: cfg, where: dc.Addr + "/" + dc.DBName}
	if err := s.checkSchema(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.userSQL = s.selectList()
	return s, nil
}

// Close releases the pool.
func (s *DjangoSource) Close() error { return s.db.Close() }

// Describe names the server, database and tables.
func (s *DjangoSource) Describe() string {
	return fmt.Sprintf("%s users=%s sessions=%s", s.where, s.cfg.UsersTable, s.cfg.SessionsTable)
}

// fields lists a column map's entries with their field names, in the
// order scanUser reads them.
func (c *DjangoUserColumns) fields() []struct {
	name string
	col  *string
} {
	return []struct {
		name string
		col  *string
	}{
		{"id", &c.ID}, {"email", &c.Email}, {"password", &c.Password}, {"name", &c.Name},
		{"first_name", &c.FirstName}, {"last_name", &c.LastName}, {"username", &c.Username},
		{"is_active", &c.IsActive}, {"is_staff", &c.IsStaff}, {"is_superuser", &c.IsSuperuser},
		{"date_joined", &c.DateJoined}, {"last_login", &c.LastLogin}, {"language", &c.Language},
	}
}

func checkNames(cfg DjangoSourceConfig) error {
	for what, name := range map[string]string{"users table": cfg.UsersTable, "sessions table": cfg.SessionsTable} {
		if !identifier.MatchString(name) {
			return fmt.Errorf("source %s %q is not a plain table name", what, name)
		}
	}
	for _, m := range []DjangoUserColumns{cfg.Columns, cfg.Defaults} {
		for _, f := range m.fields() {
			if *f.col != "" && *f.col != NoColumn && !identifier.MatchString(*f.col) {
				return fmt.Errorf("source column %q for %s is not a plain column name", *f.col, f.name)
			}
		}
	}
	return nil
}

// checkSchema asks information_schema for the tables' columns and
// settles the column map: the operator's columns must exist, defaults are
// kept only where they do, and the result must name an ID, an email, a
// password and something to show as the user's name.
func (s *DjangoSource) checkSchema(ctx context.Context) error {
	users, err := s.columns(ctx, s.cfg.UsersTable)
	if err != nil {
		return err
	}
	var resolved DjangoUserColumns
	given, defaults := s.cfg.Columns.fields(), s.cfg.Defaults.fields()
	for i, f := range resolved.fields() {
		switch col, def := *given[i].col, *defaults[i].col; {
		case col == NoColumn:
		case col != "":
			if _, ok := users[strings.ToLower(col)]; !ok {
				return fmt.Errorf("source table %s has no column %s (mapped to %s; see --map)", s.cfg.UsersTable, col, f.name)
			}
			*f.col = col
		case def != "":
			if _, ok := users[strings.ToLower(def)]; ok {
				*f.col = def
			}
		}
	}
	c := resolved
	switch {
	case c.ID == "" || c.Email == "" || c.Password == "":
		return fmt.Errorf("source table %s: the column map needs id, email and password columns (see --map)", s.cfg.UsersTable)
	case c.Name == "" && c.FirstName == "" && c.LastName == "" && c.Username == "":
		return fmt.Errorf("source table %s: the column map needs a name, first_name/last_name or username column (see --map)", s.cfg.UsersTable)
	}
	s.cfg.Columns = c
	switch users[strings.ToLower(c.ID)] {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
	default:
		return fmt.Errorf("source column %s.%s is %s; Onit keeps Django's user ID as a number, so it must be an integer",
			s.cfg.UsersTable, c.ID, users[strings.ToLower(c.ID)])
	}
	sessions, err := s.columns(ctx, s.cfg.SessionsTable)
	if err != nil {
		return err
	}
	for _, name := range []string{"session_key", "session_data", "expire_date"} {
		if _, ok := sessions[name]; !ok {
			return fmt.Errorf("source table %s has no column %s: is it Django's session table?", s.cfg.SessionsTable, name)
		}
	}
	return nil
}

// columns returns the lowercased column names of table with their types.
func (s *DjangoSource) columns(ctx context.Context, table string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT LOWER(COLUMN_NAME), LOWER(DATA_TYPE) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
	if err != nil {
		return nil, fmt.Errorf("source: reading the columns of %s: %w", table, MapError(err))
	}
	defer rows.Close()
	cols := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, MapError(err)
		}
		cols[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, MapError(err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("source database %s has no table %s", s.where, table)
	}
	return cols, nil
}

func quote(name string) string { return "`" + name + "`" }

// selectList lists the mapped columns in the order scanUser reads them;
// an absent column is selected as NULL so the scan stays one shape.
func (s *DjangoSource) selectList() string {
	c := s.cfg.Columns
	cols := []string{c.ID, c.Email, c.Password, c.Name, c.FirstName, c.LastName, c.Username,
		c.IsActive, c.IsStaff, c.IsSuperuser, c.DateJoined, c.LastLogin, c.Language}
	out := make([]string, len(cols))
	for i, name := range cols {
		if name == "" {
			out[i] = "NULL"
		} else {
			out[i] = quote(name)
		}
	}
	return strings.Join(out, ", ")
}

func (s *DjangoSource) queryUsers(ctx context.Context, query string, args ...any) ([]cutover.SourceUser, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, MapError(err)
	}
	defer rows.Close()
	var out []cutover.SourceUser
	for rows.Next() {
		var u cutover.SourceUser
		var email, password, name, first, last, username, lang sql.NullString
		var active, staff, super sql.NullBool
		var joined, lastLogin sql.NullTime
		if err := rows.Scan(&u.ID, &email, &password, &name, &first, &last, &username,
			&active, &staff, &super, &joined, &lastLogin, &lang); err != nil {
			return nil, MapError(err)
		}
		u.Email, u.Password, u.Name = email.String, password.String, name.String
		u.FirstName, u.LastName, u.Username, u.Language = first.String, last.String, username.String, lang.String
		// AbstractBaseUser's is_active is True when the model has no
		// column for it.
		u.IsActive = !active.Valid || active.Bool
		u.IsStaff, u.IsSuperuser = staff.Bool, super.Bool
		if joined.Valid {
			u.DateJoined = joined.Time.UTC()
		}
		if lastLogin.Valid {
			t := lastLogin.Time.UTC()
			u.LastLogin = &t
		}
		out = append(out, u)
	}
	return out, MapError(rows.Err())
}

// CountUsers counts the users table.
func (s *DjangoSource) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(s.cfg.UsersTable)).Scan(&n)
	return n, MapError(err)
}

// Users returns up to limit users after afterID, a keyset walk of the
// primary key.
func (s *DjangoSource) Users(ctx context.Context, afterID int64, limit int) ([]cutover.SourceUser, error) {
	id := quote(s.cfg.Columns.ID)
	return s.queryUsers(ctx, "SELECT "+s.userSQL+" FROM "+quote(s.cfg.UsersTable)+
		" WHERE "+id+" > ? ORDER BY "+id+" LIMIT ?", afterID, limit)
}

// UsersByID returns the users among ids.
func (s *DjangoSource) UsersByID(ctx context.Context, ids []int64) ([]cutover.SourceUser, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.queryUsers(ctx, "SELECT "+s.userSQL+" FROM "+quote(s.cfg.UsersTable)+
		" WHERE "+quote(s.cfg.Columns.ID)+" IN (?)", bun.List(ids))
}

// EmailCandidates returns the users whose trimmed, lowercased email is
// shared with another user. Dialect choice: the key is converted to
// utf8mb4 and compared with utf8mb4_bin, because Django's tables may be
// utf8mb3 and a _ci collation would also equate accents (jose@, josé@),
// which Onit does not. The server's LOWER may differ from Go's in rare
// characters; the caller normalises again, and Onit's unique email index
// catches anything both miss.
func (s *DjangoSource) EmailCandidates(ctx context.Context) ([]cutover.SourceUser, error) {
	email, id, table := quote(s.cfg.Columns.Email), quote(s.cfg.Columns.ID), quote(s.cfg.UsersTable)
	key := func(col string) string { return "CONVERT(LOWER(TRIM(" + col + ")) USING utf8mb4) COLLATE utf8mb4_bin" }
	rows, err := s.db.QueryContext(ctx, "SELECT u."+id+", u."+email+" FROM "+table+" u JOIN (SELECT "+key(email)+
		" AS k FROM "+table+" GROUP BY k HAVING COUNT(*) > 1) d ON "+key("u."+email)+" = d.k ORDER BY u."+id)
	if err != nil {
		return nil, MapError(err)
	}
	defer rows.Close()
	var out []cutover.SourceUser
	for rows.Next() {
		var u cutover.SourceUser
		var e sql.NullString
		if err := rows.Scan(&u.ID, &e); err != nil {
			return nil, MapError(err)
		}
		u.Email = e.String
		out = append(out, u)
	}
	return out, MapError(rows.Err())
}

// CountSessions counts live and expired sessions in one scan.
func (s *DjangoSource) CountSessions(ctx context.Context, now time.Time) (live, expired int64, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT COALESCE(SUM(expire_date > ?), 0), COALESCE(SUM(expire_date <= ?), 0) FROM "+
		quote(s.cfg.SessionsTable), dbTime(now), dbTime(now)).Scan(&live, &expired)
	return live, expired, MapError(err)
}

// Sessions returns up to limit sessions live at now after afterKey, a
// keyset walk of the primary key.
func (s *DjangoSource) Sessions(ctx context.Context, afterKey string, now time.Time, limit int) ([]cutover.SourceSession, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT session_key, session_data, expire_date FROM "+quote(s.cfg.SessionsTable)+
		" WHERE session_key > ? AND expire_date > ? ORDER BY session_key LIMIT ?", afterKey, dbTime(now), limit)
	if err != nil {
		return nil, MapError(err)
	}
	defer rows.Close()
	var out []cutover.SourceSession
	for rows.Next() {
		var ss cutover.SourceSession
		if err := rows.Scan(&ss.Key, &ss.Data, &ss.ExpireDate); err != nil {
			return nil, MapError(err)
		}
		ss.ExpireDate = ss.ExpireDate.UTC()
		out = append(out, ss)
	}
	return out, MapError(rows.Err())
}

// readOnlyConnector makes every connection of the source pool read-only
// and READ COMMITTED (Django's own isolation level). Both statements are
// spelled the way MySQL 8 and MariaDB 10.11 accept.
type readOnlyConnector struct{ driver.Connector }

// Connect opens a connection and sets it read-only; a connection that
// refuses is closed, never handed to the pool.
func (c readOnlyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("mysql: driver connection cannot execute statements")
	}
	for _, stmt := range []string{setReadCommitted, "SET SESSION TRANSACTION READ ONLY"} {
		if _, err := ex.ExecContext(ctx, stmt, nil); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("mysql: source connection: %w", err)
		}
	}
	return conn, nil
}
