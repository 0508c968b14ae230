package env

import "time"

// insecureDevKey is development's built-in secret. It starts with the marker
// Django's deploy check looks for, so `onit check --deploy` flags it anywhere.
const insecureDevKey = "django-insecure-onit-development-key-never-use-in-production-0123456789"

// Defaults returns the settings an environment starts from before variables
// are applied. Production is safe by default; development is convenient.
func Defaults(e Environment) Settings {
	s := Settings{
		Env: e,
		HTTP: HTTP{
			Addr:              ":8080",
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       75 * time.Second, // AWS ALB idle timeout is 60 s; ours must be longer
			RequestTimeout:    10 * time.Second,
			ShutdownTimeout:   25 * time.Second,
			ShutdownDelay:     5 * time.Second,
		},
		MySQL: MySQL{
			Port:     3306,
			Database: "onit",
			// RDS db.t4g.micro allows about 60-85 connections; keep ~10 for
			// operators, monitoring and migrations. During a blue/green deploy
			// both colours run, so 2 instances per colour means 4 at peak:
			// 4 × 10 = 40, well inside the budget.
			MaxOpenConns:    10,
			ConnMaxLifetime: 4 * time.Minute,
			QueryTimeout:    10 * time.Second,
			DialTimeout:     3 * time.Second,
			SlowQuery:       200 * time.Millisecond,
			Instances:       4,
			ServerMaxConns:  60,
			// Scale-out. A data migration another instance runs during a
			// deploy can take minutes; waiting is cheaper than failing.
			MigrateLockTimeout: 15 * time.Minute,
			// migrate holds 2 (the lock's heartbeat and the migration), the
			// other commands 1 or 2; a few may run at once during a deploy.
			CommandConns: 5,
			ReplicaPort:  3306,
			// Same pool size as the primary: the replica takes the reads the
			// primary's pool would otherwise have served.
			ReplicaMaxOpenConns: 10,
			// The replica reports lag in whole seconds (Seconds_Behind_Master),
			// so 1 s would exclude it at the first hiccup.
			ReplicaMaxLag: 2 * time.Second,
			// Longer than the lag the replica may have while still used, plus
			// the interval at which the lag is read.
			ReplicaReadYourWrites: 5 * time.Second,
			ReplicaServerMaxConns: 60,
		},
		Redis: Redis{
			RedisDialTimeout:  2 * time.Second,
			RedisReadTimeout:  time.Second,
			RedisWriteTimeout: time.Second,
			PoolSize:          20,
			KeyPrefix:         "onit:",
			CacheTTL:          time.Minute,
			CacheSize:         10000,
			CommandTimeout:    150 * time.Millisecond,
			BreakerFailures:   5,
			BreakerOpen:       time.Second,
		},
		Security: Security{
			ContentTypeNosniff: true,
			ReferrerPolicy:     "same-origin",
			CrossOriginOpener:  "same-origin",
			FrameOptions:       "DENY",
		},
		Sessions: Sessions{
			CookieName:     "sessionid",
			CookieAge:      14 * 24 * time.Hour,
			CookieSecure:   true,
			CookieHTTPOnly: true,
			LocalCacheTTL:  30 * time.Second,
			LocalCacheSize: 10000,
		},
		Password: Password{
			Iterations:    870000,
			Validators:    []string{"similarity", "min_length", "common", "numeric"},
			MinLength:     8,
			MaxSimilarity: 0.7,
		},
		Throttle: Throttle{
			AccountLimit:  10,
			AccountWindow: 15 * time.Minute,
			ClientLimit:   100,
			ClientWindow:  time.Minute,
			// Generous for a household or an office behind one address,
			// far too few to enumerate accounts through the 409.
			RegisterLimit:  20,
			RegisterWindow: time.Hour,
			HashNice:       10,
		},
		// A tenth of a second of access lines is what a killed process can
		// lose; batching them spares a system call per request.
		Log:    Log{Level: "info", Format: "json", FlushInterval: 100 * time.Millisecond},
		I18n:   I18n{LanguageCode: "en"},
		Static: Static{URL: "/static/"},
		// Clients retry for minutes, not days; a day covers a client that
		// comes back online after a long interruption.
		Idempotency: Idempotency{IdempotencyTTL: 24 * time.Hour},
		// Django's PASSWORD_RESET_TIMEOUT is three days.
		PasswordReset: PasswordReset{ResetTimeout: 72 * time.Hour, ResetThrottleEmail: 5,
			ResetThrottleClient: 20, ResetThrottleWindow: time.Hour},
		Email: Email{EmailPort: 587, EmailFrom: "Onit <webmaster@localhost>", EmailTLS: "starttls",
			EmailTimeout: 10 * time.Second},
	}
	switch e {
	case Development:
		s.Security.SecretKey = insecureDevKey
		s.Security.Debug = true
		s.Sessions.CookieSecure = false
		s.MySQL.MigrateOnStart = true
		s.Log.Format = "text"
		s.PasswordReset.PublicURL = "http://localhost:8080"
	case Test:
		s.Security.SecretKey = insecureDevKey
		s.Sessions.CookieSecure = false
		s.MySQL.MigrateOnStart = true
		// Tests hash many passwords; production cost would make them crawl.
		s.Password.Iterations = 1000
		s.Log.Level, s.Log.Format = "warn", "text"
		s.HTTP.ShutdownDelay = 0
	case Production:
		s.Security.HSTSSeconds = 31536000
		s.Security.HSTSIncludeSubdomains = true
		s.Security.HSTSPreload = true
		s.Security.ProxySSLHeader = "X-Forwarded-Proto"
		s.Redis.DisableIdentity = true
		s.Redis.Cluster = true
		s.Redis.RedisTLS = true
		s.MySQL.TLS = true
	}
	return s
}
