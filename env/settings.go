// Package env reads Onit's settings from the process environment and an
// optional .env file into typed structs, one per concern. It is the only
// package that reads environment variables.
//
// Defaults depend on ONIT_ENV: development is convenient (text logs, debug,
// insecure cookies over plain HTTP, embedded engines), production is safe
// (JSON logs, secure cookies, HSTS, a required secret key).
package env

import "time"

// Environment names one of the three per-environment compositions.
type Environment string

// The environments Onit knows.
const (
	Development Environment = "development"
	Test        Environment = "test"
	Production  Environment = "production"
)

// Settings is everything Onit reads from the environment. Field names are
// unique across all the nested structs so that a parse error can name its
// variable (see keyOf); a test enforces it.
type Settings struct {
	Env         Environment `env:"ONIT_ENV" help:"development, test or production"`
	HTTP        HTTP
	MySQL       MySQL
	Redis       Redis
	Security    Security
	Sessions    Sessions
	Password    Password
	Throttle    Throttle
	Log         Log
	I18n        I18n
	Static      Static
	Metrics     Metrics
	Checks      Checks
	Idempotency Idempotency

	// Password reset by email, the mail it sends and CORS (issue 15).
	PasswordReset PasswordReset
	Email         Email
	CORS          CORS
}

// HTTP configures the API server.
type HTTP struct {
	Addr              string        `env:"ONIT_HTTP_ADDR" help:"listen address of the API and the web frontend"`
	ReadHeaderTimeout time.Duration `env:"ONIT_HTTP_READ_HEADER_TIMEOUT" help:"time to read request headers (slowloris guard)"`
	ReadTimeout       time.Duration `env:"ONIT_HTTP_READ_TIMEOUT" help:"time to read a whole request"`
	WriteTimeout      time.Duration `env:"ONIT_HTTP_WRITE_TIMEOUT" help:"time to write a response"`
	IdleTimeout       time.Duration `env:"ONIT_HTTP_IDLE_TIMEOUT" help:"keep-alive idle timeout; above the 60 s of AWS load balancers"`
	RequestTimeout    time.Duration `env:"ONIT_HTTP_REQUEST_TIMEOUT" help:"deadline for the work of one request (database, Redis)"`
	ShutdownTimeout   time.Duration `env:"ONIT_HTTP_SHUTDOWN_TIMEOUT" help:"how long in-flight requests may drain on SIGTERM"`
	ShutdownDelay     time.Duration `env:"ONIT_HTTP_SHUTDOWN_DELAY" help:"how long /readyz reports 503 before the listener closes, so load balancers stop routing"`
}

// MySQL configures the database pool. Either DSN or the discrete fields are used.
type MySQL struct {
	DSN             string        `env:"ONIT_MYSQL_DSN" secret:"dsn" help:"go-sql-driver DSN (user:pass@tcp(host:3306)/onit); overrides the discrete variables"`
	Host            string        `env:"ONIT_MYSQL_HOST" help:"database host when no DSN is given"`
	Port            int           `env:"ONIT_MYSQL_PORT" help:"database port"`
	User            string        `env:"ONIT_MYSQL_USER" help:"database user"`
	DBPassword      string        `env:"ONIT_MYSQL_PASSWORD" secret:"true" help:"database password"`
	Database        string        `env:"ONIT_MYSQL_DATABASE" help:"database name"`
	TLS             bool          `env:"ONIT_MYSQL_TLS" help:"connect over TLS (required for RDS in production)"`
	TLSCAFile       string        `env:"ONIT_MYSQL_TLS_CA_FILE" help:"PEM bundle of the server's CA (RDS's is not in system trust stores)"`
	MaxOpenConns    int           `env:"ONIT_MYSQL_MAX_OPEN_CONNS" help:"pool size per instance; see README for the RDS arithmetic"`
	ConnMaxLifetime time.Duration `env:"ONIT_MYSQL_CONN_MAX_LIFETIME" help:"recycle connections (under 5 min so failovers are picked up)"`
	QueryTimeout    time.Duration `env:"ONIT_MYSQL_QUERY_TIMEOUT" help:"driver read/write timeout per query"`
	DialTimeout     time.Duration `env:"ONIT_MYSQL_DIAL_TIMEOUT" help:"connect timeout"`
	SlowQuery       time.Duration `env:"ONIT_MYSQL_SLOW_QUERY" help:"queries slower than this are logged at warn"`
	Instances       int           `env:"ONIT_MYSQL_EXPECTED_INSTANCES" help:"app instances sharing the database at peak (both colours of a blue/green deploy)"`
	ServerMaxConns  int           `env:"ONIT_MYSQL_SERVER_MAX_CONNECTIONS" help:"the server's max_connections budget for Onit (db.t4g.micro: about 60 usable)"`
	MigrateOnStart  bool          `env:"ONIT_MIGRATE_ON_START" help:"apply migrations when the server starts (development default; production: use --migrate)"`

	// Scale-out: the migration step of a deploy and the connection budget
	// across instances and commands.
	MigrateLockTimeout time.Duration `env:"ONIT_MIGRATE_LOCK_TIMEOUT" help:"how long a migrator waits for another one's migration lock (a deploy's long data migration)"`
	CommandConns       int           `env:"ONIT_MYSQL_COMMAND_CONNECTIONS" help:"connections reserved in the budget for onit commands (migrate, housekeeping, dbstats) running beside the instances"`
	// The read replica (an RDS reader endpoint): same user, password,
	// database and TLS settings as the primary.
	ReplicaDSN            string        `env:"ONIT_MYSQL_REPLICA_DSN" secret:"dsn" help:"go-sql-driver DSN of a read replica (reader endpoint); lists and lag-tolerant reads use it; overrides ONIT_MYSQL_REPLICA_HOST"`
	ReplicaHost           string        `env:"ONIT_MYSQL_REPLICA_HOST" help:"read replica host when no replica DSN is given (user, password, database and TLS as for the primary)"`
	ReplicaPort           int           `env:"ONIT_MYSQL_REPLICA_PORT" help:"read replica port"`
	ReplicaMaxOpenConns   int           `env:"ONIT_MYSQL_REPLICA_MAX_OPEN_CONNS" help:"replica pool size per instance"`
	ReplicaMaxLag         time.Duration `env:"ONIT_MYSQL_REPLICA_MAX_LAG" help:"replication lag above which reads go to the primary (read from the replica's own status)"`
	ReplicaReadYourWrites time.Duration `env:"ONIT_MYSQL_REPLICA_READ_YOUR_WRITES" help:"after a user's write, how long that user's reads go to the primary"`
	ReplicaServerMaxConns int           `env:"ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS" help:"the replica server's max_connections budget for Onit"`
}

// Redis configures the cache client.
type Redis struct {
	Addrs             []string      `env:"ONIT_REDIS_ADDRS" envSeparator:"," help:"comma-separated host:port list"`
	Cluster           bool          `env:"ONIT_REDIS_CLUSTER" help:"use the cluster protocol (ElastiCache Serverless always needs it, even with one address)"`
	RedisTLS          bool          `env:"ONIT_REDIS_TLS" help:"connect over TLS (ElastiCache Serverless is TLS-only)"`
	Username          string        `env:"ONIT_REDIS_USERNAME" help:"ACL user name"`
	RedisPassword     string        `env:"ONIT_REDIS_PASSWORD" secret:"true" help:"ACL password"`
	DB                int           `env:"ONIT_REDIS_DB" help:"database number (non-cluster only)"`
	DisableIdentity   bool          `env:"ONIT_REDIS_DISABLE_IDENTITY" help:"skip CLIENT SETINFO, which ElastiCache 7.1 rejects"`
	RedisDialTimeout  time.Duration `env:"ONIT_REDIS_DIAL_TIMEOUT" help:"connect timeout"`
	RedisReadTimeout  time.Duration `env:"ONIT_REDIS_READ_TIMEOUT" help:"command read timeout"`
	RedisWriteTimeout time.Duration `env:"ONIT_REDIS_WRITE_TIMEOUT" help:"command write timeout"`
	PoolSize          int           `env:"ONIT_REDIS_POOL_SIZE" help:"connections per node"`
	KeyPrefix         string        `env:"ONIT_REDIS_KEY_PREFIX" help:"namespace of every key"`
	CacheTTL          time.Duration `env:"ONIT_CACHE_TTL" help:"how long an instance keeps its in-memory copy of a project or task"`
	CacheSize         int           `env:"ONIT_CACHE_SIZE" help:"projects, and as many tasks, kept in each instance's memory (0: none)"`

	// A hung or failing node must cost a request little (issue 11 §2).
	CommandTimeout  time.Duration `env:"ONIT_REDIS_COMMAND_TIMEOUT" help:"budget of one Redis call on the request path, redirects and retry included; past it the request reads MySQL"`
	BreakerFailures int           `env:"ONIT_REDIS_BREAKER_FAILURES" help:"consecutive failures (errors, timeouts) after which a Redis node is skipped"`
	BreakerOpen     time.Duration `env:"ONIT_REDIS_BREAKER_OPEN" help:"how long a skipped Redis node is left alone before one probe is let through"`
}

// Security holds the secret key and the Django-style deployment settings.
type Security struct {
	SecretKey             string   `env:"ONIT_SECRET_KEY" secret:"true" help:"signs cursors and other tokens; required in production, at least 50 varied characters"`
	SecretKeyFallbacks    []string `env:"ONIT_SECRET_KEY_FALLBACKS" envSeparator:"," secret:"true" help:"previous secret keys still accepted while rotating"`
	Debug                 bool     `env:"ONIT_DEBUG" help:"show internal error details in problem documents (never in production)"`
	AllowedHosts          []string `env:"ONIT_ALLOWED_HOSTS" envSeparator:"," help:"Host header values served; others get 400 (empty: any host in development and test, none in production)"`
	TrustedOrigins        []string `env:"ONIT_CSRF_TRUSTED_ORIGINS" envSeparator:"," help:"extra origins allowed to send cookie-authenticated unsafe requests"`
	HSTSSeconds           int      `env:"ONIT_HSTS_SECONDS" help:"Strict-Transport-Security max-age (0: off)"`
	HSTSIncludeSubdomains bool     `env:"ONIT_HSTS_INCLUDE_SUBDOMAINS" help:"add includeSubDomains to HSTS"`
	HSTSPreload           bool     `env:"ONIT_HSTS_PRELOAD" help:"add preload to HSTS"`
	SSLRedirect           bool     `env:"ONIT_SSL_REDIRECT" help:"redirect plain HTTP to HTTPS"`
	ProxySSLHeader        string   `env:"ONIT_SECURE_PROXY_SSL_HEADER" help:"header set by the trusted proxy with the original scheme (X-Forwarded-Proto)"`
	// Forwarded headers are believed only from these peers.
	TrustedProxies     []string `env:"ONIT_TRUSTED_PROXIES" envSeparator:"," help:"CIDR ranges of the proxies whose X-Forwarded-For and scheme header are believed (empty: none; the client is the right-most address outside them)"`
	ContentTypeNosniff bool     `env:"ONIT_CONTENT_TYPE_NOSNIFF" help:"send X-Content-Type-Options: nosniff"`
	ReferrerPolicy     string   `env:"ONIT_REFERRER_POLICY" help:"Referrer-Policy header value"`
	CrossOriginOpener  string   `env:"ONIT_CROSS_ORIGIN_OPENER_POLICY" help:"Cross-Origin-Opener-Policy header value"`
	FrameOptions       string   `env:"ONIT_X_FRAME_OPTIONS" help:"X-Frame-Options header value"`
}

// Sessions configures login sessions and their cookie.
type Sessions struct {
	CookieName     string        `env:"ONIT_SESSION_COOKIE_NAME" help:"session cookie name"`
	CookieAge      time.Duration `env:"ONIT_SESSION_COOKIE_AGE" help:"session lifetime (not sliding)"`
	CookieSecure   bool          `env:"ONIT_SESSION_COOKIE_SECURE" help:"mark the session cookie Secure"`
	CookieHTTPOnly bool          `env:"ONIT_SESSION_COOKIE_HTTPONLY" help:"mark the session cookie HttpOnly"`
	LocalCacheTTL  time.Duration `env:"ONIT_SESSION_LOCAL_CACHE_TTL" help:"how long an instance trusts its in-memory copy of a session"`
	LocalCacheSize int           `env:"ONIT_SESSION_LOCAL_CACHE_SIZE" help:"sessions kept in each instance's memory"`
}

// Password configures hashing and Django's four password validators.
type Password struct {
	Iterations     int      `env:"ONIT_PASSWORD_ITERATIONS" help:"PBKDF2-SHA256 iterations of new hashes (Django 5.1: 870000)"`
	Validators     []string `env:"ONIT_PASSWORD_VALIDATORS" envSeparator:"," help:"enabled validators: similarity,min_length,common,numeric (AUTH_PASSWORD_VALIDATORS)"`
	MinLength      int      `env:"ONIT_PASSWORD_MIN_LENGTH" help:"minimum password length in characters"`
	MaxSimilarity  float64  `env:"ONIT_PASSWORD_MAX_SIMILARITY" help:"user-attribute similarity threshold (at least 0.1)"`
	CommonListPath string   `env:"ONIT_PASSWORD_LIST_PATH" help:"gzip or plain list of common passwords replacing the embedded one"`
}

// Throttle configures the throttles in front of every password check
// (login, password change, sign-up) and the password-hash pool.
type Throttle struct {
	AccountLimit  int           `env:"ONIT_LOGIN_THROTTLE_ACCOUNT" help:"password checks per account per window (logins and password changes, counted before the check; a success resets)"`
	AccountWindow time.Duration `env:"ONIT_LOGIN_THROTTLE_ACCOUNT_WINDOW" help:"window of the per-account limit"`
	ClientLimit   int           `env:"ONIT_LOGIN_THROTTLE_CLIENT" help:"login attempts per client address per window"`
	ClientWindow  time.Duration `env:"ONIT_LOGIN_THROTTLE_CLIENT_WINDOW" help:"window of the per-client limit"`
	// Sign-ups and the hash pool guard the other password work.
	RegisterLimit  int           `env:"ONIT_REGISTER_THROTTLE_CLIENT" help:"sign-up attempts per client address per window"`
	RegisterWindow time.Duration `env:"ONIT_REGISTER_THROTTLE_WINDOW" help:"window of the per-client sign-up limit"`
	HashWorkers    int           `env:"ONIT_PASSWORD_HASH_WORKERS" help:"password hashes running at once per instance (0: half the CPUs, at least one); more wait or get 503"`
	HashNice       int           `env:"ONIT_PASSWORD_HASH_NICE" help:"nice steps below the process's priority for the threads running password hashes (0-19, 0: no separate thread); a login storm then yields the CPU to other requests"`
}

// Log configures log/slog.
type Log struct {
	Level  string `env:"ONIT_LOG_LEVEL" help:"debug, info, warn or error"`
	Format string `env:"ONIT_LOG_FORMAT" help:"json or text"`
	// FlushInterval batches a server's log lines into one write per
	// interval; warnings and errors are written at once. 0 writes each
	// line as it is logged.
	FlushInterval time.Duration `env:"ONIT_LOG_FLUSH_INTERVAL" help:"how long a server keeps log lines to write them in one batch (warnings and errors at once; lost if the process is killed); 0 writes each line at once"`
}

// I18n configures language negotiation.
type I18n struct {
	LanguageCode string `env:"ONIT_LANGUAGE_CODE" help:"default language"`
}

// Static configures the web frontend's static files.
type Static struct {
	URL  string `env:"ONIT_STATIC_URL" help:"URL prefix of static files"`
	Root string `env:"ONIT_STATIC_ROOT" help:"serve static files from this directory instead of the embedded ones"`
}

// Metrics configures /metrics.
type Metrics struct {
	MetricsAddr  string `env:"ONIT_METRICS_ADDR" help:"separate listen address for /metrics (empty: served on the API port, token required outside development)"`
	MetricsToken string `env:"ONIT_METRICS_TOKEN" secret:"true" help:"bearer token required on /metrics"`
	PprofAddr    string `env:"ONIT_PPROF_ADDR" help:"loopback address serving net/http/pprof under /debug/pprof/ (empty: off; other hosts are refused)"`
}

// Checks configures onit check.
type Checks struct {
	Silenced []string `env:"ONIT_SILENCED_CHECKS" envSeparator:"," help:"check IDs to silence (SILENCED_SYSTEM_CHECKS)"`
}

// Idempotency configures replays of keyed requests (Idempotency-Key).
type Idempotency struct {
	IdempotencyTTL time.Duration `env:"ONIT_IDEMPOTENCY_TTL" help:"how long a keyed request's response is kept for replay"`
}

// PasswordReset configures password resets by email (Django's
// PASSWORD_RESET_TIMEOUT) and their throttle.
type PasswordReset struct {
	ResetTimeout        time.Duration `env:"ONIT_PASSWORD_RESET_TIMEOUT" help:"how long a password-reset link works (Django's PASSWORD_RESET_TIMEOUT)"`
	ResetThrottleEmail  int           `env:"ONIT_PASSWORD_RESET_THROTTLE_EMAIL" help:"reset emails sent to one address per window (0: no limit)"`
	ResetThrottleClient int           `env:"ONIT_PASSWORD_RESET_THROTTLE_CLIENT" help:"password-reset requests from one client address per window (0: no limit)"`
	ResetThrottleWindow time.Duration `env:"ONIT_PASSWORD_RESET_THROTTLE_WINDOW" help:"window of the password-reset limits"`
	PublicURL           string        `env:"ONIT_PUBLIC_URL" help:"the site's address as users reach it, for links in emails (https://onit.example.com)"`
}

// Email configures outgoing mail (Django's EMAIL_* settings). Without a
// host, mail goes to the log (Django's console backend).
type Email struct {
	EmailHost     string        `env:"ONIT_EMAIL_HOST" help:"SMTP server; empty: emails are written to the log instead (console backend)"`
	EmailPort     int           `env:"ONIT_EMAIL_PORT" help:"SMTP port (587 for STARTTLS, 465 for implicit TLS)"`
	EmailUsername string        `env:"ONIT_EMAIL_USERNAME" help:"SMTP AUTH user (empty: no AUTH)"`
	EmailPassword string        `env:"ONIT_EMAIL_PASSWORD" secret:"true" help:"SMTP AUTH password"`
	EmailFrom     string        `env:"ONIT_EMAIL_FROM" help:"From address of Onit's emails (DEFAULT_FROM_EMAIL)"`
	EmailTLS      string        `env:"ONIT_EMAIL_TLS" help:"starttls (required), tls (implicit, port 465) or none (local relay only)"`
	EmailTimeout  time.Duration `env:"ONIT_EMAIL_TIMEOUT" help:"SMTP connect and command timeout"`
}

// CORS configures cross-origin requests from other sites' frontends.
type CORS struct {
	CORSAllowedOrigins []string `env:"ONIT_CORS_ALLOWED_ORIGINS" envSeparator:"," help:"exact origins (https://app.example.com) allowed to call the API cross-origin with credentials; empty: CORS off"`
}
