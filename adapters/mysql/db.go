// Package mysql is the MySQL adapter: the connection pool, the one place
// driver errors become domain kinds (errors.go), query metrics and slow-query
// logs (hook.go), the unit of work (uow.go) and the repositories.
//
// Production runs MySQL 8.0 on RDS; CI and local tests run MariaDB 10.11, and
// development may run the embedded go-mysql-server (adapters/devengines).
// Every statement here must run on all of them; where the two servers'
// dialects differ, a comment says which choice was made and why.
package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
)

// Config is the pool's configuration: either DSN or the discrete fields
// name the server.
type Config struct {
	DSN             string // go-sql-driver DSN; overrides the discrete fields
	Host            string
	Port            int
	User            string
	DBPassword      string
	Database        string
	TLS             bool
	TLSCAFile       string // PEM bundle of the server's CA; "": system roots
	MaxOpenConns    int
	ConnMaxLifetime time.Duration
	QueryTimeout    time.Duration // driver read/write timeout
	DialTimeout     time.Duration
	SlowQuery       time.Duration // queries slower than this are logged at warn
}

// Configured reports whether a server is named at all.
func (c Config) Configured() bool { return c.DSN != "" || c.Host != "" }

// Address is the server's host:port (or socket path) and database, never
// the password: what error messages and checks may show. It is "" when
// the DSN does not parse.
func (c Config) Address() (addr, database string) {
	if c.DSN == "" {
		return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.Database
	}
	dc, err := mysql.ParseDSN(c.DSN)
	if err != nil {
		return "", ""
	}
	return dc.Addr, dc.DBName
}

// HostName is the server's host without the port: "localhost" for a unix
// socket, "" when no server is configured or the DSN does not parse.
func (c Config) HostName() string {
	if !c.Configured() {
		return ""
	}
	if c.DSN == "" {
		return c.Host
	}
	dc, err := mysql.ParseDSN(c.DSN)
	switch {
	case err != nil:
		return ""
	case dc.Net == "unix":
		return "localhost"
	}
	if h, _, err := net.SplitHostPort(dc.Addr); err == nil {
		return h
	}
	return dc.Addr
}

// ErrBadDSN is returned for a DSN go-sql-driver cannot parse. Its own
// message would echo the DSN, password included.
var ErrBadDSN = errors.New("not a valid go-sql-driver DSN (user:password@tcp(host:3306)/database)")

// UnreachableError is Open's error when the server does not answer. It
// names the address and never the password; it unwraps to an Unavailable
// domain error.
type UnreachableError struct {
	Addr, Database string
	Err            error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("MySQL at %s (database %q) does not answer: %v", e.Addr, e.Database, driverCause(e.Err))
}

// Unwrap returns the cause as an Unavailable domain error.
func (e *UnreachableError) Unwrap() error { return MapError(e.Err) }

// driverCause is the innermost error worth showing a person: the network
// error when there is one ("connect: connection refused"), not the
// driver's generic "invalid connection".
func driverCause(err error) error {
	var ne net.Error
	if errors.As(err, &ne) {
		return ne
	}
	return err
}

// sqlMode is Django's strict mode plus the checks both MySQL 8.0 and MariaDB
// 10.11 accept, so invalid data fails loudly instead of being truncated or
// zeroed. ONLY_FULL_GROUP_BY is left out on purpose: MySQL 8 has it by default
// but MariaDB does not, and queries must behave the same on both.
const sqlMode = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

// setReadCommitted runs on every new connection. Dialect choice: MySQL 8 names
// the variable transaction_isolation and MariaDB 10.11 only tx_isolation, so
// neither can go in the DSN (the driver sends DSN parameters as SET var = …
// and the wrong name fails the connection). This statement is the one
// spelling both servers accept.
const setReadCommitted = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"

// Open connects the pool described by cfg and checks it with a ping bounded by
// ctx, so a wrong address fails start-up instead of the first request. Every
// connection is utf8mb4/utf8mb4_unicode_ci, UTC, strict and READ COMMITTED
// (Django's MySQL settings), whatever the DSN says. obs may be nil.
func Open(ctx context.Context, cfg Config, log *slog.Logger, obs QueryObserver) (*bun.DB, error) {
	db, dc, err := newPool(cfg, log, obs)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		// The address, never the DSN: the DSN may hold the password.
		return nil, &UnreachableError{Addr: dc.Addr, Database: dc.DBName, Err: err}
	}
	return db, nil
}

// OpenReplica opens a read replica's pool as Open does, but a replica that
// does not answer is no reason to refuse start-up: the primary serves its
// reads (ReadRouter) until it answers. The ping's error is returned beside
// the pool, for the caller to log.
func OpenReplica(ctx context.Context, cfg Config, log *slog.Logger, obs QueryObserver) (*bun.DB, error) {
	db, dc, err := newPool(cfg, log, obs)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		return db, &UnreachableError{Addr: dc.Addr, Database: dc.DBName, Err: err}
	}
	return db, nil
}

// newPool builds the pool without connecting.
func newPool(cfg Config, log *slog.Logger, obs QueryObserver) (*bun.DB, *mysql.Config, error) {
	if log == nil {
		log = slog.Default()
	}
	dc, err := driverConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	// The driver's own log lines (a connection dropped mid-packet) would go
	// straight to stderr as text; route them into the process's logger.
	dc.Logger = driverLogger{log}
	conn, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, nil, fmt.Errorf("mysql: connector: %w", err)
	}
	sqldb := sql.OpenDB(readCommittedConnector{conn})
	configurePool(sqldb, cfg)
	db := bun.NewDB(sqldb, mysqldialect.New())
	db = db.WithQueryHook(NewQueryHook(log, cfg.SlowQuery, obs))
	return db, dc, nil
}

// driverConfig builds the go-sql-driver configuration from the DSN or the
// discrete settings and then forces the session settings Onit relies on.
func driverConfig(cfg Config) (*mysql.Config, error) {
	var dc *mysql.Config
	if cfg.DSN != "" {
		var err error
		if dc, err = mysql.ParseDSN(cfg.DSN); err != nil {
			// ParseDSN's message can echo the DSN, password included.
			return nil, ErrBadDSN
		}
	} else {
		dc = mysql.NewConfig()
		dc.Net = "tcp"
		dc.Addr = net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
		dc.User = cfg.User
		dc.Passwd = cfg.DBPassword
		dc.DBName = cfg.Database
	}

	// SET NAMES on connect overrides whatever charset the DSN asked for.
	if err := dc.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci")); err != nil {
		return nil, err
	}
	dc.ParseTime = true
	dc.Loc = time.UTC
	if dc.Params == nil {
		dc.Params = map[string]string{}
	}
	// Both servers accept these two variable names, so they go in the DSN
	// and cost no extra round trip (the driver sends one SET for all).
	dc.Params["time_zone"] = "'+00:00'"
	dc.Params["sql_mode"] = "'" + sqlMode + "'"
	// After an RDS failover or blue/green switchover the old writer turns
	// read-only; rejectReadOnly makes the driver drop such a connection
	// (ErrBadConn) so the pool reconnects to the new writer instead of
	// failing writes until the connection's lifetime ends.
	dc.RejectReadOnly = true
	if cfg.DialTimeout > 0 {
		dc.Timeout = cfg.DialTimeout
	}
	if cfg.QueryTimeout > 0 {
		dc.ReadTimeout = cfg.QueryTimeout
		dc.WriteTimeout = cfg.QueryTimeout
	}
	if cfg.TLS {
		tc, err := tlsConfig(dc.Addr, cfg.TLSCAFile)
		if err != nil {
			return nil, err
		}
		// The config goes into this Config's TLS field rather than a named
		// mysql.RegisterTLSConfig entry: same effect for this pool, without a
		// process-wide registry that two Opens with different CAs would race on.
		dc.TLS = tc
		dc.TLSConfig = ""
	}
	return dc, nil
}

// tlsConfig trusts the CA bundle in caFile when given (RDS's CA is not in
// system trust stores) and checks the certificate against the host name.
func tlsConfig(addr, caFile string) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mysql: TLS CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mysql: TLS CA bundle %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// maxIdleTime lets the pool shrink after a burst: idle connections count
// against db.t4g.micro's small max_connections, which both colours of a
// blue/green deploy share.
const maxIdleTime = 90 * time.Second

func configurePool(db *sql.DB, cfg Config) {
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	// Idle equal to open: closing and reopening connections under steady load
	// costs a TLS handshake and two SETs each time.
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	idle := maxIdleTime
	if cfg.ConnMaxLifetime > 0 && cfg.ConnMaxLifetime < idle {
		idle = cfg.ConnMaxLifetime
	}
	db.SetConnMaxIdleTime(idle)
}

// readCommittedConnector sets READ COMMITTED on each new connection (see
// setReadCommitted), so every statement and transaction of the pool uses
// Django's isolation without a round trip per transaction.
type readCommittedConnector struct{ driver.Connector }

// Connect opens a connection and sets its isolation level; a connection that
// refuses is closed and the error returned, never handed to the pool.
func (c readCommittedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("mysql: driver connection cannot execute statements")
	}
	if _, err := ex.ExecContext(ctx, setReadCommitted, nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("mysql: set isolation level: %w", err)
	}
	return conn, nil
}

// Ping checks that the database answers, for readiness probes. The error is
// mapped: Unavailable when the server cannot be reached.
func Ping(ctx context.Context, db *bun.DB) error {
	return MapError(db.PingContext(ctx))
}

// Health reports the database's reachability to /readyz.
type Health struct{ db *bun.DB }

// NewHealth returns the readiness check of db.
func NewHealth(db *bun.DB) *Health { return &Health{db: db} }

// Name is the check's name in /readyz output.
func (h *Health) Name() string { return "mysql" }

// Ping reports whether the database answers.
func (h *Health) Ping(ctx context.Context) error { return Ping(ctx, h.db) }

// Flavor names the kind of server a pool talks to.
type Flavor string

// The servers Onit runs on.
const (
	FlavorMySQL    Flavor = "mysql"    // MySQL 8 (production, RDS)
	FlavorMariaDB  Flavor = "mariadb"  // MariaDB 10.11 (CI, local)
	FlavorEmbedded Flavor = "embedded" // go-mysql-server (adapters/devengines)
)

// DetectFlavor asks the server what it is. Callers use it only to skip what
// the embedded engine cannot do (row locks, deadlocks); it never changes
// behaviour on MySQL or MariaDB.
func DetectFlavor(ctx context.Context, db bun.IDB) (Flavor, error) {
	var version, comment string
	if err := db.QueryRowContext(ctx, "SELECT @@version, @@version_comment").Scan(&version, &comment); err != nil {
		return "", MapError(err)
	}
	return flavorOf(version, comment), nil
}

func flavorOf(version, comment string) Flavor {
	switch {
	case strings.Contains(strings.ToLower(version), "mariadb"):
		return FlavorMariaDB
	// go-mysql-server reports Dolt's comment; devengines sets its own.
	case comment == "Dolt" || strings.Contains(comment, "go-mysql-server"):
		return FlavorEmbedded
	default:
		return FlavorMySQL
	}
}

// driverLogger is go-sql-driver's Logger over slog, at warn: the driver
// logs only connection trouble the pool then recovers from.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn("mysql driver: "+strings.TrimSpace(fmt.Sprint(v...)), "component", "go-sql-driver")
}
