// Package checks is `onit check`: Onit's system checks and its deployment
// checklist, Django's `manage.py check [--deploy]` with Onit's own checks
// added (TLS to MySQL and Redis, the RDS connection budget, Redis TTLs,
// embedded engines).
//
// Each finding has a stable ID in Onit's namespace. Where Django has an
// equivalent check the number is Django's (onit.W004 is security.W004), so
// an operator's muscle memory and silencing lists carry over; Onit's own
// checks are numbered from 040. Specs lists them all with their Django
// equivalents.
//
// Checks read settings and ask the servers through small interfaces
// (Database, Cache, Catalog), so every check is tested with fakes; probes.go
// implements the interfaces over the real clients.
package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Level is a finding's severity, on Django's scale.
type Level int

// The levels, as Django numbers them.
const (
	Debug    Level = 10
	Info     Level = 20
	Warning  Level = 30
	Error    Level = 40
	Critical Level = 50
)

var levelNames = map[Level]string{Debug: "DEBUG", Info: "INFO", Warning: "WARNING", Error: "ERROR", Critical: "CRITICAL"}

// String is the level's upper-case name, as --fail-level spells it.
func (l Level) String() string {
	if n, ok := levelNames[l]; ok {
		return n
	}
	return fmt.Sprintf("LEVEL%d", int(l))
}

// ParseLevel reads a --fail-level value, in any letter case.
func ParseLevel(s string) (Level, error) {
	for l, n := range levelNames {
		if strings.EqualFold(s, n) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warning, error or critical)", s)
}

// Finding is one issue a check found.
type Finding struct {
	ID    string // onit.W004
	Level Level
	Msg   string
	Hint  string // may be empty
}

// Database is what the checks ask MySQL. Implementations bound each call
// by ctx.
type Database interface {
	// Embedded reports whether the server is the embedded development
	// engine (go-mysql-server).
	Embedded(ctx context.Context) (bool, error)
	// SQLMode is the session's @@SESSION.sql_mode, as Onit's pool sets it.
	SQLMode(ctx context.Context) (string, error)
	// MaxConnections is the server's @@GLOBAL.max_connections.
	MaxConnections(ctx context.Context) (int, error)
	// PendingMigrations counts the migrations the database lacks.
	PendingMigrations(ctx context.Context) (int, error)
}

// Cache is what the checks ask Redis.
type Cache interface {
	// KeysWithoutTTL scans at most limit keys matching pattern and returns
	// how many it looked at and those that never expire.
	KeysWithoutTTL(ctx context.Context, pattern string, limit int) (sampled int, noTTL []string, err error)
}

// Catalog is the message catalog (adapters/i18n.Catalog).
type Catalog interface {
	Supported() []string
	Keys(lang string) []string
	Has(lang, key string) bool
}

// The environments Config.Env names.
const (
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvProduction  = "production"
)

// Config is the part of the settings the checks judge, as plain values
// (bootstrap fills it). Messages name the ONIT_* variables because that is
// what the operator changes.
type Config struct {
	Env      string // EnvDevelopment, EnvTest or EnvProduction
	Security SecurityConfig
	Sessions SessionsConfig
	MySQL    MySQLConfig
	Redis    RedisConfig
	Password PasswordConfig
	Log      LogConfig
	Metrics  MetricsConfig
	// Email, password-reset links and CORS (issue 15; checks W070–W073).
	Email EmailConfig
}

// EmailConfig is outgoing mail, the site's public address in its links,
// and the origins allowed cross-origin requests.
type EmailConfig struct {
	Host               string
	Username           string
	TLS                string
	PublicURL          string
	CORSAllowedOrigins []string
}

// SecurityConfig is the secret keys and Django's security settings.
type SecurityConfig struct {
	SecretKey             string
	SecretKeyFallbacks    []string
	Debug                 bool
	AllowedHosts          []string
	HSTSSeconds           int
	HSTSIncludeSubdomains bool
	HSTSPreload           bool
	SSLRedirect           bool
	ProxySSLHeader        string
	TrustedProxies        []string
	ContentTypeNosniff    bool
	ReferrerPolicy        string
	CrossOriginOpener     string
	FrameOptions          string
}

// SessionsConfig is the session cookie's flags.
type SessionsConfig struct {
	CookieSecure   bool
	CookieHTTPOnly bool
}

// MySQLConfig is the database's address and pool budget.
type MySQLConfig struct {
	Host           string // the server's host name ("" when none is configured)
	TLS            bool
	MaxOpenConns   int
	Instances      int // app instances sharing the server at peak
	ServerMaxConns int // the server's connections budgeted for Onit

	// Scale-out: the commands' reserve and the read replica.
	CommandConns          int    // connections reserved for onit commands beside the instances
	ReplicaHost           string // the replica's host name ("" when none is configured)
	ReplicaMaxOpenConns   int    // replica pool size per instance
	ReplicaServerMaxConns int    // the replica server's connections budgeted for Onit
}

// RedisConfig is the cache's addresses and client options.
type RedisConfig struct {
	Addrs     []string
	RedisTLS  bool
	Cluster   bool
	KeyPrefix string
	// The instance caches of projects and tasks (ONIT_CACHE_SIZE, ONIT_CACHE_TTL).
	CacheSize int
	CacheTTL  time.Duration
}

// PasswordConfig is the enabled password validators.
type PasswordConfig struct{ Validators []string }

// LogConfig is the log format.
type LogConfig struct{ Format string }

// MetricsConfig is where /metrics is served.
type MetricsConfig struct{ MetricsAddr, MetricsToken string }

// Input is everything the checks look at. A nil probe has its error beside
// it: ErrNotConfigured, or why it could not be reached.
type Input struct {
	Config      Config
	SettingsErr error // the settings did not parse; nothing else is checked

	DB    Database
	DBErr error

	// Replica is the read replica, when one is configured (ReplicaErr
	// ErrNotConfigured otherwise).
	Replica    Database
	ReplicaErr error

	Cache    Cache
	CacheErr error

	Catalog    Catalog
	CatalogErr error
	// Languages users may choose (domain/accounts.Languages); each needs a
	// complete catalog.
	Languages []string
}

// ErrNotConfigured is the probe error when no server address is set.
var ErrNotConfigured = errors.New("not configured")

// check is one check: it returns its findings (usually zero or one).
type check struct {
	deploy bool
	run    func(ctx context.Context, in Input) []Finding
}

// Run runs the system checks, plus the deployment checklist when deploy,
// and returns every finding, silenced ones included (Evaluate filters).
// A settings error stops everything else: nothing can be judged without
// settings.
func Run(ctx context.Context, in Input, deploy bool) []Finding {
	if in.SettingsErr != nil {
		return []Finding{newFinding("onit.E040", in.SettingsErr.Error(),
			"Fix the variable named above; `onit settings` prints the effective values.")}
	}
	var out []Finding
	for _, c := range all() {
		if c.deploy && !deploy {
			continue
		}
		out = append(out, c.run(ctx, in)...)
	}
	return out
}

// newFinding builds a finding whose level comes from its spec, so an ID's
// level is defined once.
func newFinding(id, msg, hint string) Finding {
	sp, ok := specByID[id]
	if !ok {
		panic("checks: no spec for " + id) // a programming error, caught by the tests
	}
	return Finding{ID: id, Level: sp.Level, Msg: msg, Hint: hint}
}
