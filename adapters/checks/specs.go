package checks

// Spec documents one check: its ID, level, Django's equivalent and what
// makes it fire. The README's check table is Specs.
type Spec struct {
	ID      string
	Level   Level
	Deploy  bool   // only with --deploy
	Django  string // Django's check ID, "" when Onit's own
	Summary string
}

// Specs lists every check in ID order.
func Specs() []Spec { return append([]Spec(nil), specs...) }

var specs = []Spec{
	{"onit.W004", Warning, true, "security.W004", "ONIT_HSTS_SECONDS is 0: no Strict-Transport-Security"},
	{"onit.W005", Warning, true, "security.W005", "HSTS on without ONIT_HSTS_INCLUDE_SUBDOMAINS"},
	{"onit.W006", Warning, true, "security.W006", "ONIT_CONTENT_TYPE_NOSNIFF off: no X-Content-Type-Options: nosniff"},
	{"onit.W008", Warning, true, "security.W008", "neither ONIT_SSL_REDIRECT nor a trusted ONIT_SECURE_PROXY_SSL_HEADER"},
	{"onit.W009", Warning, true, "security.W009", "ONIT_SECRET_KEY shorter than 50 characters, fewer than 5 distinct, or django-insecure-prefixed (the development default)"},
	{"onit.W012", Warning, true, "security.W012", "ONIT_SESSION_COOKIE_SECURE off"},
	{"onit.W015", Warning, true, "security.W015", "ONIT_SESSION_COOKIE_HTTPONLY off"},
	{"onit.W018", Warning, true, "security.W018", "ONIT_DEBUG on"},
	{"onit.W019", Warning, true, "security.W019", "ONIT_X_FRAME_OPTIONS is not DENY"},
	{"onit.W020", Warning, true, "security.W020", "ONIT_ALLOWED_HOSTS empty or \"*\" (Onit then serves any Host)"},
	{"onit.W021", Warning, true, "security.W021", "HSTS on without ONIT_HSTS_PRELOAD"},
	{"onit.W022", Warning, true, "security.W022", "ONIT_REFERRER_POLICY empty"},
	{"onit.E023", Error, true, "security.E023", "ONIT_REFERRER_POLICY has a value browsers do not know"},
	{"onit.E024", Error, true, "security.E024", "ONIT_CROSS_ORIGIN_OPENER_POLICY has a value browsers do not know"},
	{"onit.W025", Warning, true, "security.W025", "an ONIT_SECRET_KEY_FALLBACKS entry is weak like W009"},
	{"onit.E040", Error, false, "", "the settings do not parse"},
	{"onit.E041", Error, false, "", "MySQL is not configured (outside development) or does not answer"},
	{"onit.E042", Error, false, "", "Redis is not configured (outside development) or does not answer"},
	{"onit.W043", Warning, false, "", "migrations are pending (or their state cannot be read)"},
	{"onit.W044", Warning, false, "", "a message catalog lacks keys another language has, or a user language has no catalog"},
	{"onit.E045", Error, false, "", "the message catalogs do not load for ONIT_LANGUAGE_CODE"},
	{"onit.W050", Warning, true, "", "HSTS max-age under one year (what browsers' preload lists require)"},
	{"onit.W051", Warning, true, "mysql.W002", "the MySQL session's sql_mode is not strict"},
	{"onit.W052", Warning, true, "", "ONIT_MYSQL_TLS off"},
	{"onit.W053", Warning, true, "", "ONIT_REDIS_TLS off"},
	{"onit.W054", Warning, true, "", "ONIT_REDIS_CLUSTER off (ElastiCache Serverless needs the cluster protocol)"},
	{"onit.E055", Error, true, "", "ONIT_MYSQL_MAX_OPEN_CONNS × ONIT_MYSQL_EXPECTED_INSTANCES exceeds ONIT_MYSQL_SERVER_MAX_CONNECTIONS"},
	{"onit.W056", Warning, true, "", "the server's max_connections is below ONIT_MYSQL_SERVER_MAX_CONNECTIONS"},
	{"onit.W057", Warning, true, "", "Redis keys under ONIT_REDIS_KEY_PREFIX without a TTL (bounded sample)"},
	{"onit.W058", Warning, true, "", "some of Django's four password validators are disabled"},
	{"onit.W059", Warning, true, "", "ONIT_LOG_FORMAT is not json"},
	{"onit.E060", Error, true, "", "the embedded development engine would serve the data (no MySQL configured, or the DSN points at it)"},
	{"onit.W061", Warning, true, "", "production with MySQL or Redis on a loopback address"},
	{"onit.W062", Warning, true, "", "/metrics is not exposed: no ONIT_METRICS_ADDR and no ONIT_METRICS_TOKEN outside development"},
	{"onit.W063", Warning, true, "", "ONIT_METRICS_TOKEN shorter than 32 characters"},
	{"onit.W064", Warning, true, "", "a proxy scheme header is set but ONIT_TRUSTED_PROXIES is empty, so no forwarded header is believed"},
	{"onit.E065", Error, true, "", "an ONIT_TRUSTED_PROXIES entry is neither a CIDR range nor an address"},
	{"onit.W080", Warning, true, "", "pool × instances fits ONIT_MYSQL_SERVER_MAX_CONNECTIONS, but not with ONIT_MYSQL_COMMAND_CONNECTIONS reserved for commands"},
	{"onit.W081", Warning, true, "", "ONIT_MYSQL_REPLICA_MAX_OPEN_CONNS × ONIT_MYSQL_EXPECTED_INSTANCES exceeds ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS"},
	{"onit.W082", Warning, true, "", "both pools × instances + the commands' reserve exceed ONIT_MYSQL_SERVER_MAX_CONNECTIONS, which they reach when the reader endpoint falls back to the writer"},
	{"onit.W083", Warning, true, "", "the replica server's max_connections is below ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS"},
	{"onit.W084", Warning, true, "", "a read replica is configured but does not answer (the primary serves every read)"},
	// Email, links and CORS (issue 15).
	{"onit.W090", Warning, true, "", "ONIT_CACHE_SIZE is 0: the instance caches are off and every read costs a MySQL statement"},
	{"onit.W091", Warning, true, "", "ONIT_CACHE_TTL above 5 minutes: how long a write whose announcement died with its process can be served stale"},
	{"onit.W070", Warning, true, "", "no ONIT_EMAIL_HOST outside development: emails (password resets) are only written to the log"},
	{"onit.W071", Warning, true, "", "ONIT_PUBLIC_URL unset or not https: links in emails point elsewhere or travel in clear"},
	{"onit.W072", Warning, true, "", "ONIT_CORS_ALLOWED_ORIGINS holds * or a plain-http origin"},
	{"onit.W073", Warning, true, "", "SMTP AUTH over an unencrypted connection (ONIT_EMAIL_TLS=none with a username)"},
}

var specByID = func() map[string]Spec {
	m := make(map[string]Spec, len(specs))
	for _, s := range specs {
		m[s.ID] = s
	}
	return m
}()
