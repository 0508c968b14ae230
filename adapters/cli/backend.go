package cli

import (
	"context"
	"io"
	"time"

	"github.com/onitapp/onit/app/cutover"
	"github.com/onitapp/onit/app/housekeeping"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/migrations"
	"github.com/onitapp/onit/ports"
)

// Backend is what the commands act on. bootstrap implements it: it loads
// the settings (once, on first need), wires the adapters each method needs
// and returns settings problems as UsageError. Methods that hand out
// something to use return a release function, to be called when done.
type Backend interface {
	// PrintSettings writes every effective setting, secrets redacted;
	// onlyChanged leaves out those equal to the environment's defaults.
	PrintSettings(w io.Writer, onlyChanged bool) error
	// Serve runs the HTTP server until ctx is done, then drains it.
	// migrate applies pending migrations first.
	Serve(ctx context.Context, migrate bool) error
	// Check runs the system checks, and the deployment checklist with
	// deploy; failLevel is the lowest level that fails the run.
	Check(ctx context.Context, deploy bool, failLevel string) (CheckReport, error)
	// Accounts starts the accounts use cases without serving HTTP.
	Accounts(ctx context.Context) (Accounts, Translator, func(), error)
	// Migrations opens the database the migrations apply to.
	Migrations(ctx context.Context) (Migrator, func(), error)
	// CreateMigration writes a new migration file into dir and returns
	// its path; it needs no database.
	CreateMigration(dir, name string, goMigration bool) (string, error)
	// Housekeeping opens the database for the deletion of what has expired.
	Housekeeping(ctx context.Context) (Housekeeper, func(), error)
	// DatabaseServer opens the database server whose signals dbstats reads.
	DatabaseServer(ctx context.Context) (DatabaseServer, func(), error)
	// DjangoImporter connects to the Django database src names (read
	// only, with the TLS settings of Onit's own database) and to Onit's,
	// checks the tables and columns, and returns the importer between them.
	DjangoImporter(ctx context.Context, src DjangoImport) (Importer, func(), error)
}

// CheckReport is the outcome of `onit check`.
type CheckReport interface {
	WriteText(w io.Writer) error
	WriteJSON(w io.Writer) error
	// Failed reports a finding at or above the fail level.
	Failed() bool
}

// Accounts are the administrative use cases of app/accounts.
type Accounts interface {
	CreateSuperuser(ctx context.Context, email, name, password string, skipValidation bool) (accounts.User, error)
	SetPassword(ctx context.Context, email, password string, skipValidation bool) (revoked int, err error)
	ClearExpiredSessions(ctx context.Context) (int64, error)
	RevokeUserSessionsByEmail(ctx context.Context, email string, deactivate bool) (revoked int, err error)
}

// Translator renders message keys of domain errors (adapters/i18n.Catalog).
type Translator interface {
	Default() string
	T(lang, key string, params map[string]any) string
}

// Migrator applies and inspects migrations (migrations.Runner).
type Migrator interface {
	UpWithProgress(ctx context.Context, progress func(migrations.Progress)) ([]migrations.Result, error)
	Down(ctx context.Context) (migrations.Result, error)
	Status(ctx context.Context) ([]migrations.Status, error)
}

// Housekeeper deletes expired sessions and idempotency records
// (app/housekeeping.Service).
type Housekeeper interface {
	Run(ctx context.Context) (housekeeping.Report, error)
}

// DatabaseServer is what dbstats reads from the MySQL server.
type DatabaseServer interface {
	// Describe names the server ("10.11.19-MariaDB (mariadb)").
	Describe(ctx context.Context) string
	// ReadStatus reads the global status counters and variables.
	ReadStatus(ctx context.Context) (ServerStatus, error)
	// RoundTrip measures one trivial query.
	RoundTrip(ctx context.Context) (time.Duration, error)
	// Budget is Onit's pool size times its expected instances, and the
	// connections budgeted for it (ONIT_MYSQL_SERVER_MAX_CONNECTIONS).
	Budget() (pool, server int)
	// Replica reads the read replica's lag, when one is configured.
	Replica(ctx context.Context) ReplicaReading
}

// ReplicaReading is the read replica as dbstats shows it.
type ReplicaReading struct {
	Configured bool
	Lag        time.Duration
	MaxLag     time.Duration // ONIT_MYSQL_REPLICA_MAX_LAG
	Err        error         // down, not replicating, or replication stopped
}

// ServerStatus is one reading of the server's global status and
// variables, lower-case names to numbers; a name the server lacks is
// absent.
type ServerStatus struct {
	At        time.Time
	Status    map[string]float64
	Variables map[string]float64
}

// DjangoImport is where `onit import django` reads from.
type DjangoImport struct {
	DSN string // go-sql-driver DSN of the Django database
	// SecretKeys are Django's SECRET_KEY then its SECRET_KEY_FALLBACKS;
	// without them no session is imported.
	SecretKeys    []string
	UsersTable    string // "": auth_user
	SessionsTable string // "": django_session
	Columns       DjangoColumns
	BatchSize     int // rows per batch, each in its own transaction
}

// DjangoColumns is the --map column map of a custom user model: each named
// column must exist, "-" says the table has none, and an empty name leaves
// the field to auth_user's column when the table has it. Its fields are
// the MySQL adapter's DjangoUserColumns, which bootstrap converts it to.
type DjangoColumns struct {
	ID, Email, Password                        string
	Name, FirstName, LastName, Username        string
	IsActive, IsStaff, IsSuperuser, DateJoined string
	LastLogin, Language                        string
}

// Importer runs the cutover import (app/cutover.Importer).
type Importer interface {
	Run(ctx context.Context, opts cutover.Options, progress ports.ImportProgress) (cutover.Report, error)
}
