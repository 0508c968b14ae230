package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/checks"
	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/metrics"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/system"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/app/housekeeping"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/migrations"
)

// Main runs the onit command line with the real wiring and returns the
// exit status.
func Main(ctx context.Context, args []string, stdio cli.Stdio) int {
	return cli.New(&backend{stdio: stdio}).Main(ctx, args, stdio)
}

// backend is cli.Backend over this package's compositions: each command
// gets the modules it needs, built from settings read once.
type backend struct {
	stdio cli.Stdio

	once     sync.Once
	settings env.Settings
	err      error
	log      *slog.Logger
}

var _ cli.Backend = (*backend)(nil)

// load reads the settings on first need, warns about ONIT_* variables no
// setting reads, and builds the command's logger (standard error).
func (b *backend) load() (env.Settings, *slog.Logger, error) {
	b.once.Do(func() {
		src := env.FromOS()
		b.settings, b.err = env.Load(src)
		cfg := b.settings.Log
		if b.err != nil {
			cfg = env.Defaults(env.Development).Log
		}
		b.log = NewLogger(cfg, b.stdio.Err)
		routeRedisLogs(b.log)
		unknown, _ := env.UnknownVariables(src) // an unreadable .env is Load's error
		for _, u := range unknown {
			b.log.Warn(u.String(), "variable", u.Name, "closest", u.Closest)
		}
	})
	if b.err != nil {
		return b.settings, b.log, cli.Usage(b.err)
	}
	return b.settings, b.log, nil
}

// PrintSettings implements cli.Backend.
func (b *backend) PrintSettings(w io.Writer, onlyChanged bool) error {
	s, _, err := b.load()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# environment: %s\n", s.Env)
	return env.Print(w, s, onlyChanged)
}

// needDatabase refuses a command that acts on the database when none is
// configured: in development the only one it could use is a fresh
// embedded engine, which would start empty and vanish when the command
// ends (a superuser created there is gone, a password change finds no
// user).
func needDatabase(s env.Settings) error {
	if mysqlConfig(s.MySQL).Configured() {
		return nil
	}
	msg := "not set (nor ONIT_MYSQL_HOST)"
	if s.Env == env.Development && embeddedAvailable {
		msg = "not set: this command needs the database you mean, and an embedded engine would start empty and vanish when the command ends. " +
			"Set ONIT_MYSQL_DSN to a real database, or to the DSN `go tool task dev` prints for its embedded engine"
	}
	return cli.Usage(&env.Error{Var: "ONIT_MYSQL_DSN", Msg: msg})
}

// needAccounts refuses the commands built on accountsCommand without the
// servers it needs: a database always (needDatabase), and Redis outside
// development, where none can run embedded (a session cache may start
// empty).
func needAccounts(s env.Settings) error {
	if err := needDatabase(s); err != nil {
		return err
	}
	if (s.Env != env.Development || !embeddedAvailable) && len(s.Redis.Addrs) == 0 {
		return cli.Usage(&env.Error{Var: "ONIT_REDIS_ADDRS", Msg: "not set"})
	}
	return nil
}

// start builds and starts opts, returning a function that stops them.
func start(ctx context.Context, opts ...fx.Option) (func(), error) {
	app := fx.New(opts...)
	if err := app.Err(); err != nil {
		return nil, describeFailure(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return nil, describeFailure(err)
	}
	return func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), app.StopTimeout())
		defer cancel()
		_ = app.Stop(stopCtx)
	}, nil
}

// Accounts implements cli.Backend.
func (b *backend) Accounts(ctx context.Context) (cli.Accounts, cli.Translator, func(), error) {
	s, _, err := b.load()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := needAccounts(s); err != nil {
		return nil, nil, nil, err
	}
	var svc *appaccounts.Service
	var cat *i18n.Catalog
	stop, err := start(ctx, accountsCommand(s, b.stdio.Err), fx.Populate(&svc, &cat))
	if err != nil {
		return nil, nil, nil, err
	}
	return svc, cat, stop, nil
}

// openDatabase opens only the pool, for the commands that need nothing
// else; its statements are not logged (quiet: the command reports).
func (b *backend) openDatabase(ctx context.Context) (env.Settings, *bun.DB, error) {
	s, _, err := b.load()
	if err != nil {
		return s, nil, err
	}
	if err := needDatabase(s); err != nil {
		return s, nil, err
	}
	db, err := openPool(ctx, mysqlConfig(s.MySQL), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return s, nil, describeFailure(err)
	}
	return s, db, nil
}

// Migrations implements cli.Backend.
func (b *backend) Migrations(ctx context.Context) (cli.Migrator, func(), error) {
	s, db, err := b.openDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	_, log, _ := b.load()
	r, err := migrations.NewRunner(db.DB, log, migrations.WithLockTimeout(s.MySQL.MigrateLockTimeout))
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return r, func() { _ = db.Close() }, nil
}

// CreateMigration implements cli.Backend.
func (b *backend) CreateMigration(dir, name string, goMigration bool) (string, error) {
	kind := "sql"
	if goMigration {
		kind = "go"
	}
	return migrations.Create(dir, name, kind)
}

// Housekeeping implements cli.Backend. It needs the database only: expired
// sessions' cache entries expire by themselves, so Redis is not touched.
func (b *backend) Housekeeping(ctx context.Context) (cli.Housekeeper, func(), error) {
	s, db, err := b.openDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc := housekeeping.New(mysql.NewSessionRepository(db), mysql.NewIdempotencyRepository(db),
		mysql.NewPasswordResetRepository(db), system.Clock{},
		housekeeping.Config{IdempotencyTTL: s.Idempotency.IdempotencyTTL})
	return svc, func() { _ = db.Close() }, nil
}

// DatabaseServer implements cli.Backend.
func (b *backend) DatabaseServer(ctx context.Context) (cli.DatabaseServer, func(), error) {
	s, db, err := b.openDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	srv := mysql.NewServer(db)
	if embedded, err := srv.Embedded(ctx); err == nil && embedded {
		_ = db.Close()
		return nil, nil, errors.New("the embedded engine has no server status to read; point ONIT_MYSQL_DSN at MySQL or MariaDB")
	}
	d := dbServer{srv: srv, pool: s.MySQL.MaxOpenConns * s.MySQL.Instances, server: s.MySQL.ServerMaxConns, maxLag: s.MySQL.ReplicaMaxLag}
	closeAll := func() { _ = db.Close() }
	if rc := replicaConfig(s.MySQL); rc.Configured() {
		// A replica that does not answer is a line of the report, not a failure.
		replica, err := mysql.OpenReplica(ctx, rc, slog.New(slog.DiscardHandler), nil)
		if replica == nil {
			_ = db.Close()
			return nil, nil, describeFailure(err)
		}
		d.replica = replica
		closeAll = func() { _ = db.Close(); _ = replica.Close() }
	}
	return d, closeAll, nil
}

// dbServer is cli.DatabaseServer over the MySQL adapter, reading the
// signals /metrics exports.
type dbServer struct {
	srv          *mysql.Server
	pool, server int
	replica      *bun.DB // nil: none configured
	maxLag       time.Duration
}

func (d dbServer) Replica(ctx context.Context) cli.ReplicaReading {
	if d.replica == nil {
		return cli.ReplicaReading{}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	lag, err := mysql.ReplicationLag(ctx, d.replica)
	return cli.ReplicaReading{Configured: true, Lag: lag, MaxLag: d.maxLag, Err: err}
}

func (d dbServer) Describe(ctx context.Context) string { return d.srv.Describe(ctx) }

func (d dbServer) ReadStatus(ctx context.Context) (cli.ServerStatus, error) {
	st, err := metrics.ReadServerStatus(ctx, d.srv)
	return cli.ServerStatus(st), err
}

func (d dbServer) RoundTrip(ctx context.Context) (time.Duration, error) { return d.srv.RoundTrip(ctx) }

func (d dbServer) Budget() (pool, server int) { return d.pool, d.server }

// Serve implements cli.Backend.
func (b *backend) Serve(ctx context.Context, migrate bool) error {
	s, log, err := b.load()
	if err != nil {
		return err
	}
	if migrate {
		s.MySQL.MigrateOnStart = true
	}
	if err := serversError(s); err != nil {
		return cli.Usage(err)
	}
	logs := b.stdio.Err
	if s.Log.FlushInterval > 0 {
		// Closed last: every line, "stopped" included, is out before the
		// process exits.
		lines := newLineBuffer(logs, s.Log.FlushInterval)
		defer func() { _ = lines.Close() }()
		logs = lines
		log = NewLogger(s.Log, lines)
	}
	var srv *httpapi.Server
	var eng *engines
	// The run context reaches the work done while the graph is built
	// (migrating on start), so a stop signal ends a long lock wait.
	app := fx.New(Composition(s, logs), Serving, fx.Supply(runContext{ctx}), fx.Populate(&srv, &eng))
	if err := app.Err(); err != nil {
		return describeFailure(err)
	}
	startCtx, cancel := context.WithTimeout(ctx, app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return describeFailure(err)
	}
	banner(logs, log, s, srv.Addr().String(), eng.all())
	if f, ok := logs.(flusher); ok {
		_ = f.Flush() // whoever waits for the banner sees it now
	}
	select {
	case <-ctx.Done():
		log.Info("stop signal received, draining")
	case sig := <-app.Wait():
		log.Info("stopping", "signal", fmt.Sprint(sig.Signal))
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		log.Error("stopped with an error", "err", err, "exit_code", cli.ExitFailure)
		return fmt.Errorf("stop: %w", err)
	}
	log.Info("stopped", "exit_code", cli.ExitOK)
	return nil
}

// Check implements cli.Backend. It does not boot the application: an
// unreachable server must be a finding in the report, not a start-up
// failure, and it never starts the embedded engines (there would be
// nothing to check in a fresh one).
func (b *backend) Check(ctx context.Context, deploy bool, failLevel string) (cli.CheckReport, error) {
	level, err := checks.ParseLevel(failLevel)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--fail-level: %w", err))
	}
	s, _, settingsErr := b.load()
	in, closeProbes := probe(ctx, s, settingsErr)
	defer closeProbes()
	return checks.Evaluate(checks.Run(ctx, in, deploy), s.Checks.Silenced, level), nil
}

// probe connects to what the settings name and returns the checks' input
// and a function closing the connections.
func probe(ctx context.Context, s env.Settings, settingsErr error) (checks.Input, func()) {
	in := checks.Input{Config: checksConfig(s), Languages: accounts.Languages}
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if settingsErr != nil {
		var ue *cli.UsageError
		if errors.As(settingsErr, &ue) {
			settingsErr = ue.Err
		}
		in.SettingsErr = settingsErr
		return in, closeAll
	}
	// Quiet: findings carry the errors; pool warnings would only repeat them.
	log := slog.New(slog.DiscardHandler)

	if !mysqlConfig(s.MySQL).Configured() {
		in.DBErr = checks.ErrNotConfigured
	} else if db, err := openPool(ctx, mysqlConfig(s.MySQL), log, nil); err != nil {
		in.DBErr = err
	} else {
		closers = append(closers, func() { _ = db.Close() })
		in.DB = checkDatabase{Server: mysql.NewServer(db), db: db, log: log}
	}

	if rc := replicaConfig(s.MySQL); !rc.Configured() {
		in.ReplicaErr = checks.ErrNotConfigured
	} else if db, err := openPool(ctx, rc, log, nil); err != nil {
		in.ReplicaErr = err
	} else {
		closers = append(closers, func() { _ = db.Close() })
		in.Replica = checkDatabase{Server: mysql.NewServer(db), db: db, log: log}
	}

	if len(s.Redis.Addrs) == 0 {
		in.CacheErr = checks.ErrNotConfigured
	} else if c, err := redisstore.NewClient(s.Redis, nil); err != nil {
		in.CacheErr = err
	} else {
		closers = append(closers, func() { _ = c.Close() })
		in.CacheErr = pingRedis(ctx, c, s.Redis)
		if in.CacheErr == nil {
			in.Cache = checks.RedisProbe{Client: c}
		}
	}

	if cat, err := i18n.Load(s.I18n.LanguageCode); err != nil {
		in.CatalogErr = err
	} else {
		in.Catalog = cat
	}
	return in, closeAll
}

func pingRedis(ctx context.Context, c redis.UniversalClient, cfg env.Redis) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.RedisDialTimeout+cfg.RedisReadTimeout)
	defer cancel()
	return redisstore.NewHealth(c).Ping(ctx)
}

// checkDatabase is checks.Database: the server's own answers from the
// MySQL adapter, the migration state from the migrations runner.
type checkDatabase struct {
	*mysql.Server
	db  *bun.DB
	log *slog.Logger
}

var _ checks.Database = checkDatabase{}

func (d checkDatabase) PendingMigrations(ctx context.Context) (int, error) {
	r, err := migrations.NewRunner(d.db.DB, d.log)
	if err != nil {
		return 0, err
	}
	return r.Pending(ctx)
}
