package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sql/*.sql
var embedded embed.FS

// Lock timing. The lease is how long a crashed migrator's lock outlives it;
// the heartbeat renews it well inside the lease while a long migration runs.
// A waiting migrator retries every lockRetry until its lock timeout
// (DefaultLockTimeout unless WithLockTimeout says otherwise), logging every
// lockWaitLog that it is still waiting and who holds the lock.
const (
	lockLease     = 30 * time.Second
	lockHeartbeat = 5 * time.Second
	lockRetry     = time.Second
	lockWaitLog   = 10 * time.Second
)

// DefaultLockTimeout is how long a migrator waits for another one's lock
// when nothing says otherwise (ONIT_MIGRATE_LOCK_TIMEOUT's default): long
// enough for a data migration another instance is running during a deploy.
const DefaultLockTimeout = 15 * time.Minute

// Option adjusts a Runner.
type Option func(*options)

type options struct {
	lockTimeout time.Duration
	waitLog     time.Duration
}

// WithLockTimeout sets how long Up and Down wait for the migration lock
// another migrator holds before giving up (ONIT_MIGRATE_LOCK_TIMEOUT).
// The wait is bounded by the context too; the migrations themselves are
// not: once the lock is held they run until done or the context ends.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.lockTimeout = d
		}
	}
}

// withWaitLog sets how often a waiting migrator logs; tests shorten it.
func withWaitLog(d time.Duration) Option { return func(o *options) { o.waitLog = d } }

// Runner applies Onit's migrations to one database.
type Runner struct {
	db       *sql.DB
	provider *goose.Provider
	names    map[int64]string

	mu   sync.Mutex
	rows map[int64]int64 // rows changed by data migrations in this run
}

// Result is one migration that ran.
type Result struct {
	Version   int64
	Name      string
	Direction string // "up" or "down"
	Duration  time.Duration
	Empty     bool // versioned without running anything (e.g. a Go migration without a down step)
}

// Status is one known migration and whether the database has it.
type Status struct {
	Version   int64
	Name      string
	Pending   bool
	AppliedAt time.Time // zero when pending; UTC
}

// NewRunner prepares the migrations for db, which must be a pool opened by
// adapters/mysql.Open (UTC, strict, utf8mb4). It touches no table until a
// method runs.
func NewRunner(db *sql.DB, log *slog.Logger, opts ...Option) (*Runner, error) {
	if log == nil {
		log = slog.Default()
	}
	o := options{lockTimeout: DefaultLockTimeout, waitLog: lockWaitLog}
	for _, opt := range opts {
		opt(&o)
	}
	sqlFS, err := fs.Sub(embedded, "sql")
	if err != nil {
		return nil, err
	}
	// goose's locker counts attempts, not time: one per lockRetry (with
	// up to 25% jitter either way), so the wait lasts about the timeout.
	tries := uint64((o.lockTimeout + lockRetry - 1) / lockRetry)
	inner, err := lock.NewMySQLTableLocker(
		lock.WithTableName(lockTable),
		lock.WithTableLeaseDuration(lockLease),
		lock.WithTableHeartbeatInterval(lockHeartbeat),
		lock.WithTableLockTimeout(lockRetry, tries),
		lock.WithTableLogger(log),
	)
	if err != nil {
		return nil, err
	}
	locker := &waitingLocker{inner: inner, log: log, every: o.waitLog, timeout: o.lockTimeout}
	r := &Runner{db: db, names: map[int64]string{}, rows: map[int64]int64{}}
	data := dataMigrations()
	gos := make([]*goose.Migration, 0, len(data))
	for _, m := range data {
		gos = append(gos, m.goose(r.recordRows))
		r.names[m.version] = m.name
	}
	p, err := goose.NewProvider(goose.DialectMySQL, db, sqlFS,
		// Only the migrations listed here, never goose's process-global registry.
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(gos...),
		goose.WithLocker(locker),
		goose.WithSlog(log),
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	for _, s := range p.ListSources() {
		if s.Path != "" {
			r.names[s.Version] = path.Base(s.Path)
		}
	}
	r.provider = p
	return r, nil
}

func (r *Runner) recordRows(version, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows[version] = n
}

// rowsOf returns the rows a data migration reported, or -1 when version is
// not a data migration (SQL files report nothing).
func (r *Runner) rowsOf(version int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.rows[version]; ok {
		return n
	}
	return -1
}

// Progress reports one migration of Up starting or ending.
type Progress struct {
	Version  int64
	Name     string
	Done     bool          // false: about to run
	Duration time.Duration // when Done
	// Rows is how many rows a data migration changed (when Done); -1 for
	// SQL migrations, whose statements report nothing useful.
	Rows int64
	// Skipped (when Done): another migrator applied it while this one
	// waited for the lock.
	Skipped bool
	Err     error // when Done: it failed
}

// String is the line `onit migrate up` prints.
func (p Progress) String() string {
	id := fmt.Sprintf("%05d %s", p.Version, p.Name)
	switch {
	case !p.Done:
		return "applying " + id + " …"
	case p.Err != nil:
		return fmt.Sprintf("failed   %s after %s: %v", id, p.Duration.Round(time.Millisecond), p.Err)
	case p.Skipped:
		return "skipped  " + id + " (applied meanwhile by another migrator)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "applied  %s in %s", id, p.Duration.Round(time.Millisecond))
	if p.Rows >= 0 {
		fmt.Fprintf(&b, ", %d rows changed", p.Rows)
	}
	return b.String()
}

// lockTable is goose's lock table. Runner creates it itself (see
// ensureLockTable) so it gets the explicit engine and charset every Onit table has.
const lockTable = "goose_lock"

// ensureLockTable creates goose's lock table with the columns goose's MySQL
// store expects, before goose would create it without ENGINE or CHARSET.
// CREATE TABLE IF NOT EXISTS is safe when two migrators start at once.
//
// goose's version table (goose_db_version) is left to goose: it must insert
// the version-0 row itself when it creates the table, and it holds only
// numbers and a DATETIME, so the default charset cannot matter.
func (r *Runner) ensureLockTable(ctx context.Context) error {
	_, err := r.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+lockTable+` (
		lock_id BIGINT NOT NULL PRIMARY KEY,
		locked BOOLEAN NOT NULL DEFAULT 0,
		locked_at DATETIME(6) NULL,
		locked_by TEXT NULL,
		lease_expires_at DATETIME(6) NULL,
		updated_at DATETIME(6) NULL
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
	if err != nil {
		return fmt.Errorf("migrations: create lock table: %w", err)
	}
	return nil
}

// Up applies every pending migration in version order under the migration
// lock, so two processes migrating at once apply each migration exactly
// once (the second waits, then finds nothing to do). It returns the
// migrations that ran, also when a later one failed.
func (r *Runner) Up(ctx context.Context) ([]Result, error) { return r.UpWithProgress(ctx, nil) }

// UpWithProgress is Up, calling progress (when not nil) as each migration
// starts and ends, so a long one is visibly alive.
//
// goose announces nothing before a migration runs, so each step reads the
// next pending version first, reports it, and applies up to it under the
// lock (one lock per migration: a concurrent migrator can slip in between,
// which is reported as Skipped).
func (r *Runner) UpWithProgress(ctx context.Context, progress func(Progress)) ([]Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if err := r.ensureLockTable(ctx); err != nil {
		return nil, err
	}
	var out []Result
	var skipped int64 = -1
	for {
		next, ok, err := r.nextPending(ctx)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		if next.Version == skipped {
			return out, fmt.Errorf("migrations: %05d %s stays pending after it was applied", next.Version, next.Name)
		}
		progress(Progress{Version: next.Version, Name: next.Name})
		start := time.Now()
		res, err := r.provider.UpTo(ctx, next.Version)
		if err != nil {
			var pe *goose.PartialError
			if errors.As(err, &pe) {
				res = pe.Applied
			}
			for _, m := range res {
				out = append(out, r.report(m, progress))
			}
			err = fmt.Errorf("migrations: %w", err)
			progress(Progress{Version: next.Version, Name: next.Name, Done: true, Duration: time.Since(start), Rows: -1, Err: err})
			return out, err
		}
		if len(res) == 0 {
			skipped = next.Version
			progress(Progress{Version: next.Version, Name: next.Name, Done: true, Duration: time.Since(start), Rows: -1, Skipped: true})
			continue
		}
		for _, m := range res {
			out = append(out, r.report(m, progress))
		}
	}
}

// nextPending is the lowest pending migration.
func (r *Runner) nextPending(ctx context.Context) (Status, bool, error) {
	st, err := r.Status(ctx)
	if err != nil {
		return Status{}, false, err
	}
	for _, s := range st {
		if s.Pending {
			return s, true, nil
		}
	}
	return Status{}, false, nil
}

func (r *Runner) report(m *goose.MigrationResult, progress func(Progress)) Result {
	res := r.result(m)
	progress(Progress{Version: res.Version, Name: res.Name, Done: true, Duration: res.Duration, Rows: r.rowsOf(res.Version)})
	return res
}

// ErrNothingToRollBack is returned by Down when no migration is applied.
var ErrNothingToRollBack = errors.New("migrations: nothing to roll back")

// Down rolls back the most recently applied migration, under the lock.
func (r *Runner) Down(ctx context.Context) (Result, error) {
	if err := r.ensureLockTable(ctx); err != nil {
		return Result{}, err
	}
	res, err := r.provider.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return Result{}, ErrNothingToRollBack
	}
	if err != nil {
		return Result{}, fmt.Errorf("migrations: %w", err)
	}
	return r.result(res), nil
}

// Status lists every known migration in version order with its state.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	st, err := r.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		out = append(out, Status{
			Version:   s.Source.Version,
			Name:      r.names[s.Source.Version],
			Pending:   s.State == goose.StatePending,
			AppliedAt: s.AppliedAt.UTC(),
		})
		if s.State == goose.StatePending {
			out[len(out)-1].AppliedAt = time.Time{}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Pending returns how many migrations the database lacks, for start-up and
// deploy checks.
func (r *Runner) Pending(ctx context.Context) (int, error) {
	st, err := r.Status(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if s.Pending {
			n++
		}
	}
	return n, nil
}

func (r *Runner) result(m *goose.MigrationResult) Result {
	return Result{
		Version:   m.Source.Version,
		Name:      r.names[m.Source.Version],
		Direction: m.Direction,
		Duration:  m.Duration,
		Empty:     m.Empty,
	}
}
