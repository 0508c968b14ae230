package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// probeTimeout bounds each question to a server: a check run must finish
// even against a stuck database (the migration status waits for goose's
// lock, which a running migration holds).
const probeTimeout = 10 * time.Second

// ttlSample bounds the Redis TTL scan: enough to catch a code path that
// forgets TTLs, few enough to stay inside ElastiCache's command budget.
const ttlSample = 500

// oneYear is the HSTS max-age browsers' preload lists require.
const oneYear = 365 * 24 * 60 * 60

// Django's limits for SECRET_KEY (security.W009).
const (
	secretMinLength   = 50
	secretMinDistinct = 5
	insecurePrefix    = "django-insecure-"
)

// minMetricsToken is a bearer token's length below which guessing it
// online is conceivable.
const minMetricsToken = 32

// Values browsers accept (Django's REFERRER_POLICY_VALUES and
// CROSS_ORIGIN_OPENER_POLICY_VALUES).
var (
	referrerPolicies = []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
	openerPolicies = []string{"same-origin", "same-origin-allow-popups", "unsafe-none"}
	validators     = []string{"similarity", "min_length", "common", "numeric"}
)

func all() []check {
	return []check{
		// System checks.
		{run: checkMySQLReachable},
		{run: checkRedisReachable},
		{run: checkMigrations},
		{run: checkCatalogs},
		// Django's deployment checklist.
		{deploy: true, run: checkHSTS},
		{deploy: true, run: checkNosniff},
		{deploy: true, run: checkHTTPS},
		{deploy: true, run: checkSecretKeys},
		{deploy: true, run: checkSessionCookie},
		{deploy: true, run: checkDebug},
		{deploy: true, run: checkFrameOptions},
		{deploy: true, run: checkAllowedHosts},
		{deploy: true, run: checkReferrerPolicy},
		{deploy: true, run: checkOpenerPolicy},
		// Onit's own.
		{deploy: true, run: checkSQLMode},
		{deploy: true, run: checkTLS},
		{deploy: true, run: checkRedisCluster},
		{deploy: true, run: checkConnectionBudget},
		{deploy: true, run: checkScaleOutBudget}, // scaleout.go
		{deploy: true, run: checkReplica},        // scaleout.go
		{deploy: true, run: checkRedisTTLs},
		{deploy: true, run: checkValidators},
		{deploy: true, run: checkLogFormat},
		{deploy: true, run: checkEmbedded},
		{deploy: true, run: checkLoopback},
		{deploy: true, run: checkMetrics},
		{deploy: true, run: checkEmail}, // email.go: W070–W073
		{deploy: true, run: checkTrustedProxies},
		{deploy: true, run: checkInstanceCaches}, // caches.go: W090–W091
	}
}

func one(id, msg, hint string) []Finding { return []Finding{newFinding(id, msg, hint)} }

// unconfiguredInDevelopment: `onit serve` starts the embedded engine for a
// missing server in development, so that is not a system-check error
// there (the deploy checklist's E060 still says so).
func unconfiguredInDevelopment(in Input, err error) bool {
	return errors.Is(err, ErrNotConfigured) && in.Config.Env == EnvDevelopment
}

func checkMySQLReachable(_ context.Context, in Input) []Finding {
	switch {
	case in.DB != nil || in.DBErr == nil || unconfiguredInDevelopment(in, in.DBErr):
		return nil
	case errors.Is(in.DBErr, ErrNotConfigured):
		return one("onit.E041", "MySQL is not configured.", "Set ONIT_MYSQL_DSN (or ONIT_MYSQL_HOST and friends).")
	}
	return one("onit.E041", fmt.Sprintf("MySQL does not answer: %v", in.DBErr),
		"Check ONIT_MYSQL_DSN / ONIT_MYSQL_HOST, the security group and ONIT_MYSQL_TLS_CA_FILE.")
}

func checkRedisReachable(_ context.Context, in Input) []Finding {
	switch {
	case in.Cache != nil || in.CacheErr == nil || unconfiguredInDevelopment(in, in.CacheErr):
		return nil
	case errors.Is(in.CacheErr, ErrNotConfigured):
		return one("onit.E042", "Redis is not configured.", "Set ONIT_REDIS_ADDRS.")
	}
	return one("onit.E042", fmt.Sprintf("Redis does not answer: %v", in.CacheErr),
		"Check ONIT_REDIS_ADDRS, ONIT_REDIS_TLS and ONIT_REDIS_CLUSTER. Onit keeps working without Redis, from MySQL, but slower.")
}

func checkMigrations(ctx context.Context, in Input) []Finding {
	if in.DB == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	n, err := in.DB.PendingMigrations(ctx)
	switch {
	case err != nil:
		return one("onit.W043", fmt.Sprintf("The migration state cannot be read: %v", err),
			"A migration running elsewhere holds the lock; try again when it is done.")
	case n > 0:
		return one("onit.W043", fmt.Sprintf("%d migration(s) are not applied.", n),
			"Run `onit migrate up` (or `onit serve --migrate`) as the deploy step; `onit migrate status` lists them.")
	}
	return nil
}

func checkCatalogs(_ context.Context, in Input) []Finding {
	if in.CatalogErr != nil {
		return one("onit.E045", fmt.Sprintf("The message catalogs do not load: %v", in.CatalogErr),
			"Set ONIT_LANGUAGE_CODE to one of the supported languages (en, es, fr, de).")
	}
	if in.Catalog == nil {
		return nil
	}
	langs := in.Catalog.Supported()
	union := map[string]bool{}
	for _, l := range langs {
		for _, k := range in.Catalog.Keys(l) {
			union[k] = true
		}
	}
	keys := make([]string, 0, len(union))
	for k := range union {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Finding
	for _, l := range in.Languages {
		if !slices.Contains(langs, l) {
			out = append(out, newFinding("onit.W044", fmt.Sprintf("Users may choose %q, but it has no message catalog.", l),
				"Add adapters/i18n/locales/*."+l+".json."))
		}
	}
	for _, l := range langs {
		var missing []string
		for _, k := range keys {
			if !in.Catalog.Has(l, k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			out = append(out, newFinding("onit.W044",
				fmt.Sprintf("The %q catalog lacks %d message(s): %s.", l, len(missing), abbreviate(missing, 5)),
				"Those messages are shown in the default language. Add them to adapters/i18n/locales/*."+l+".json."))
		}
	}
	return out
}

// abbreviate lists the first n items and counts the rest.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

func checkHSTS(_ context.Context, in Input) []Finding {
	sec := in.Config.Security
	if sec.HSTSSeconds <= 0 {
		return one("onit.W004", "ONIT_HSTS_SECONDS is 0, so browsers are not told to use HTTPS only (Strict-Transport-Security).",
			"Set ONIT_HSTS_SECONDS (31536000 for a year) once the whole site, subdomains included, is served over HTTPS: browsers will refuse plain HTTP for that long.")
	}
	var out []Finding
	if sec.HSTSSeconds < oneYear {
		out = append(out, newFinding("onit.W050", fmt.Sprintf("ONIT_HSTS_SECONDS is %d, less than a year.", sec.HSTSSeconds),
			"Use 31536000 or more once HTTPS is settled; preload lists require at least a year."))
	}
	if !sec.HSTSIncludeSubdomains {
		out = append(out, newFinding("onit.W005", "ONIT_HSTS_INCLUDE_SUBDOMAINS is off, so subdomains can still be reached over plain HTTP.",
			"Set ONIT_HSTS_INCLUDE_SUBDOMAINS=true when every subdomain is served over HTTPS only."))
	}
	if !sec.HSTSPreload {
		out = append(out, newFinding("onit.W021", "ONIT_HSTS_PRELOAD is off, so the domain cannot be submitted to browsers' HSTS preload list.",
			"Set ONIT_HSTS_PRELOAD=true, then submit the domain at hstspreload.org."))
	}
	return out
}

func checkNosniff(_ context.Context, in Input) []Finding {
	if in.Config.Security.ContentTypeNosniff {
		return nil
	}
	return one("onit.W006", "ONIT_CONTENT_TYPE_NOSNIFF is off, so responses lack X-Content-Type-Options: nosniff and browsers may guess content types.",
		"Set ONIT_CONTENT_TYPE_NOSNIFF=true.")
}

func checkHTTPS(_ context.Context, in Input) []Finding {
	sec := in.Config.Security
	if sec.SSLRedirect || sec.ProxySSLHeader != "" {
		return nil
	}
	return one("onit.W008", "Plain HTTP is served: ONIT_SSL_REDIRECT is off and no ONIT_SECURE_PROXY_SSL_HEADER names the proxy's scheme header.",
		"Behind a load balancer that terminates TLS, set ONIT_SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto and redirect HTTP there; otherwise set ONIT_SSL_REDIRECT=true.")
}

// weakSecret reports why a key fails Django's W009 rule, or "".
func weakSecret(k string) string {
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	switch {
	case strings.HasPrefix(k, insecurePrefix):
		return "starts with " + strconv.Quote(insecurePrefix) + " (the development default)"
	case utf8.RuneCountInString(k) < secretMinLength:
		return fmt.Sprintf("has fewer than %d characters", secretMinLength)
	case len(distinct) < secretMinDistinct:
		return fmt.Sprintf("has fewer than %d distinct characters", secretMinDistinct)
	}
	return ""
}

const secretHint = "Generate one with `openssl rand -base64 48` and keep it secret; rotate by moving the old key to ONIT_SECRET_KEY_FALLBACKS."

func checkSecretKeys(_ context.Context, in Input) []Finding {
	var out []Finding
	if why := weakSecret(in.Config.Security.SecretKey); why != "" {
		out = append(out, newFinding("onit.W009", "ONIT_SECRET_KEY "+why+", so the tokens it signs can be forged.", secretHint))
	}
	for i, k := range in.Config.Security.SecretKeyFallbacks {
		if why := weakSecret(k); why != "" {
			out = append(out, newFinding("onit.W025", fmt.Sprintf("ONIT_SECRET_KEY_FALLBACKS entry %d %s.", i+1, why), secretHint))
		}
	}
	return out
}

func checkSessionCookie(_ context.Context, in Input) []Finding {
	var out []Finding
	s := in.Config.Sessions
	if !s.CookieSecure {
		out = append(out, newFinding("onit.W012", "ONIT_SESSION_COOKIE_SECURE is off, so the session cookie is sent over plain HTTP too, where it can be sniffed.",
			"Set ONIT_SESSION_COOKIE_SECURE=true."))
	}
	if !s.CookieHTTPOnly {
		out = append(out, newFinding("onit.W015", "ONIT_SESSION_COOKIE_HTTPONLY is off, so scripts (and any XSS) can read the session cookie.",
			"Set ONIT_SESSION_COOKIE_HTTPONLY=true."))
	}
	return out
}

func checkDebug(_ context.Context, in Input) []Finding {
	if !in.Config.Security.Debug {
		return nil
	}
	return one("onit.W018", "ONIT_DEBUG is on: internal error details reach clients (production never shows them, whatever this says).",
		"Set ONIT_DEBUG=false.")
}

func checkFrameOptions(_ context.Context, in Input) []Finding {
	if in.Config.Security.FrameOptions == "DENY" {
		return nil
	}
	return one("onit.W019", fmt.Sprintf("ONIT_X_FRAME_OPTIONS is %q, not DENY, so pages can be framed (clickjacking).", in.Config.Security.FrameOptions),
		"Set ONIT_X_FRAME_OPTIONS=DENY unless a page must be framed by this site.")
}

func checkAllowedHosts(_ context.Context, in Input) []Finding {
	hosts := in.Config.Security.AllowedHosts
	if len(hosts) > 0 && !slices.Contains(hosts, "*") {
		return nil
	}
	if len(hosts) == 0 && in.Config.Env == EnvProduction {
		return one("onit.W020", "ONIT_ALLOWED_HOSTS is empty, so production refuses every request with 400 (as Django does with DEBUG off).",
			"Set ONIT_ALLOWED_HOSTS to the site's host names, e.g. onit.example.com (a leading dot allows subdomains).")
	}
	return one("onit.W020", "ONIT_ALLOWED_HOSTS is empty or \"*\", so any Host header is served (host-header poisoning).",
		"Set ONIT_ALLOWED_HOSTS to the site's host names, e.g. onit.example.com (a leading dot allows subdomains).")
}

func checkReferrerPolicy(_ context.Context, in Input) []Finding {
	p := in.Config.Security.ReferrerPolicy
	if strings.TrimSpace(p) == "" {
		return one("onit.W022", "ONIT_REFERRER_POLICY is empty, so browsers send full URLs to other sites.",
			"Set ONIT_REFERRER_POLICY=same-origin.")
	}
	// Django accepts a comma-separated fallback list, as the header does.
	for _, v := range strings.Split(p, ",") {
		if !slices.Contains(referrerPolicies, strings.TrimSpace(v)) {
			return one("onit.E023", fmt.Sprintf("ONIT_REFERRER_POLICY %q is not a referrer policy.", p),
				"Valid values: "+strings.Join(referrerPolicies, ", ")+".")
		}
	}
	return nil
}

func checkOpenerPolicy(_ context.Context, in Input) []Finding {
	p := in.Config.Security.CrossOriginOpener
	if p == "" || slices.Contains(openerPolicies, p) {
		return nil
	}
	return one("onit.E024", fmt.Sprintf("ONIT_CROSS_ORIGIN_OPENER_POLICY %q is not an opener policy.", p),
		"Valid values: "+strings.Join(openerPolicies, ", ")+".")
}

func checkSQLMode(ctx context.Context, in Input) []Finding {
	if in.DB == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	mode, err := in.DB.SQLMode(ctx)
	if err != nil {
		return one("onit.W051", fmt.Sprintf("The session's sql_mode cannot be read: %v", err), "")
	}
	for _, m := range strings.Split(strings.ToUpper(mode), ",") {
		if m == "STRICT_TRANS_TABLES" || m == "STRICT_ALL_TABLES" {
			return nil
		}
	}
	return one("onit.W051", fmt.Sprintf("The MySQL session's sql_mode (%q) is not strict, so invalid data is truncated or zeroed instead of refused.", mode),
		"Onit sets a strict mode on every connection; something in between (a proxy, init_connect) overrides it.")
}

func checkTLS(_ context.Context, in Input) []Finding {
	var out []Finding
	if !in.Config.MySQL.TLS {
		out = append(out, newFinding("onit.W052", "ONIT_MYSQL_TLS is off, so queries, results and the password travel in clear text.",
			"Set ONIT_MYSQL_TLS=true and ONIT_MYSQL_TLS_CA_FILE to RDS's global-bundle.pem."))
	}
	if !in.Config.Redis.RedisTLS {
		out = append(out, newFinding("onit.W053", "ONIT_REDIS_TLS is off, so sessions travel in clear text (and ElastiCache Serverless refuses the connection).",
			"Set ONIT_REDIS_TLS=true."))
	}
	return out
}

func checkRedisCluster(_ context.Context, in Input) []Finding {
	if in.Config.Redis.Cluster {
		return nil
	}
	return one("onit.W054", "ONIT_REDIS_CLUSTER is off. ElastiCache Serverless is a cluster behind one endpoint: a plain client gets MOVED errors under load.",
		"Set ONIT_REDIS_CLUSTER=true (silence this check for a single self-hosted Redis).")
}

func checkConnectionBudget(ctx context.Context, in Input) []Finding {
	m := in.Config.MySQL
	var out []Finding
	if need := m.MaxOpenConns * m.Instances; need > m.ServerMaxConns {
		out = append(out, newFinding("onit.E055",
			fmt.Sprintf("%d connections per instance × %d instances = %d, more than the %d ONIT_MYSQL_SERVER_MAX_CONNECTIONS allows: a blue/green deploy can exhaust the server.",
				m.MaxOpenConns, m.Instances, need, m.ServerMaxConns),
			"Lower ONIT_MYSQL_MAX_OPEN_CONNS, or raise the budget only if the instance class allows it (db.t4g.micro: about 60 usable)."))
	}
	if in.DB != nil {
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if max, err := in.DB.MaxConnections(ctx); err == nil && max < m.ServerMaxConns {
			out = append(out, newFinding("onit.W056",
				fmt.Sprintf("ONIT_MYSQL_SERVER_MAX_CONNECTIONS is %d, but the server's max_connections is %d.", m.ServerMaxConns, max),
				"Set ONIT_MYSQL_SERVER_MAX_CONNECTIONS to what the server allows minus about 10 for operators and monitoring."))
		}
	}
	return out
}

func checkRedisTTLs(ctx context.Context, in Input) []Finding {
	if in.Cache == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	pattern := globEscape(in.Config.Redis.KeyPrefix) + "*"
	sampled, noTTL, err := in.Cache.KeysWithoutTTL(ctx, pattern, ttlSample)
	if err != nil {
		return one("onit.W057", fmt.Sprintf("Redis keys could not be sampled: %v", err), "")
	}
	if len(noTTL) == 0 {
		return nil
	}
	return one("onit.W057", fmt.Sprintf("%d of %d sampled keys under %q never expire: %s.", len(noTTL), sampled, in.Config.Redis.KeyPrefix, abbreviate(noTTL, 5)),
		"Every key Onit writes must have a TTL (ElastiCache has 1 GB). Find the code path that writes them; EXPIRE or delete the keys.")
}

// globEscape quotes Redis glob metacharacters in a literal prefix.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func checkValidators(_ context.Context, in Input) []Finding {
	var missing []string
	for _, v := range validators {
		if !slices.Contains(in.Config.Password.Validators, v) {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return one("onit.W058", "Password validators disabled: "+strings.Join(missing, ", ")+".",
		"Set ONIT_PASSWORD_VALIDATORS=similarity,min_length,common,numeric (Django's four).")
}

func checkLogFormat(_ context.Context, in Input) []Finding {
	if in.Config.Log.Format == "json" {
		return nil
	}
	return one("onit.W059", fmt.Sprintf("ONIT_LOG_FORMAT is %q: log shippers (CloudWatch Logs Insights) cannot query fields.", in.Config.Log.Format),
		"Set ONIT_LOG_FORMAT=json.")
}

func checkEmbedded(ctx context.Context, in Input) []Finding {
	if errors.Is(in.DBErr, ErrNotConfigured) {
		return one("onit.E060", "No MySQL is configured: in development `onit serve` would keep the data in the embedded engine's memory.",
			"Set ONIT_MYSQL_DSN to a real MySQL server.")
	}
	if in.DB == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if embedded, err := in.DB.Embedded(ctx); err == nil && embedded {
		return one("onit.E060", "ONIT_MYSQL_DSN points at the embedded development engine (go-mysql-server): data lives in memory, without InnoDB row locks.",
			"Point ONIT_MYSQL_DSN at MySQL 8 (RDS) or MariaDB.")
	}
	return nil
}

func checkLoopback(_ context.Context, in Input) []Finding {
	if in.Config.Env != EnvProduction {
		return nil
	}
	var where []string
	if host := in.Config.MySQL.Host; isLoopback(host) {
		where = append(where, "MySQL at "+host)
	}
	for _, a := range in.Config.Redis.Addrs {
		if h, _, err := net.SplitHostPort(a); err == nil && isLoopback(h) {
			where = append(where, "Redis at "+a)
		}
	}
	if len(where) == 0 {
		return nil
	}
	return one("onit.W061", "Production talks to "+strings.Join(where, " and ")+", a loopback address: a development engine or a tunnel, not RDS or ElastiCache.",
		"Use the RDS and ElastiCache endpoints (silence this check if a local proxy is intended).")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkMetrics(_ context.Context, in Input) []Finding {
	m := in.Config.Metrics
	if m.MetricsToken != "" && len(m.MetricsToken) < minMetricsToken {
		return one("onit.W063", fmt.Sprintf("ONIT_METRICS_TOKEN has %d characters; it guards /metrics on the public API port.", len(m.MetricsToken)),
			"Use at least 32 random characters: `openssl rand -hex 32`.")
	}
	if m.MetricsAddr == "" && m.MetricsToken == "" && in.Config.Env != EnvDevelopment {
		return one("onit.W062", "/metrics is not served: neither ONIT_METRICS_ADDR nor ONIT_METRICS_TOKEN is set.",
			"Set ONIT_METRICS_ADDR to a port the load balancer does not route (e.g. :9090), or ONIT_METRICS_TOKEN to scrape through the API port.")
	}
	return nil
}

// checkTrustedProxies: a proxy's headers are believed only from
// ONIT_TRUSTED_PROXIES, so a scheme header without them is never read (no
// HTTPS detected behind the load balancer, every client seen as the load
// balancer's address), and an entry that does not parse stops the server.
func checkTrustedProxies(_ context.Context, in Input) []Finding {
	sec := in.Config.Security
	for _, p := range sec.TrustedProxies {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return one("onit.E065", fmt.Sprintf("ONIT_TRUSTED_PROXIES entry %q is neither a CIDR range nor an address.", p),
				"List the load balancer's subnets, e.g. ONIT_TRUSTED_PROXIES=10.0.0.0/16.")
		}
	}
	if sec.ProxySSLHeader != "" && len(sec.TrustedProxies) == 0 {
		return one("onit.W064", fmt.Sprintf("ONIT_SECURE_PROXY_SSL_HEADER is %s but ONIT_TRUSTED_PROXIES is empty, so no proxy's headers are believed: "+
			"HTTPS behind the load balancer is not detected and every client shares the load balancer's address in the throttles.", sec.ProxySSLHeader),
			"Set ONIT_TRUSTED_PROXIES to the load balancer's subnets (CIDR), e.g. the VPC's private subnets.")
	}
	return nil
}
