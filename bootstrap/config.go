package bootstrap

import (
	"github.com/onitapp/onit/adapters/checks"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/web"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
)

// Adapters take their own plain Config values, as app services do; these
// functions are the one place each is filled from the settings.

func mysqlConfig(m env.MySQL) mysql.Config {
	return mysql.Config{DSN: m.DSN, Host: m.Host, Port: m.Port, User: m.User, DBPassword: m.DBPassword,
		Database: m.Database, TLS: m.TLS, TLSCAFile: m.TLSCAFile, MaxOpenConns: m.MaxOpenConns,
		ConnMaxLifetime: m.ConnMaxLifetime, QueryTimeout: m.QueryTimeout, DialTimeout: m.DialTimeout, SlowQuery: m.SlowQuery}
}

// replicaConfig is the read replica's pool: its own address and pool size,
// everything else (user, password, database, TLS, timeouts) the primary's,
// as an RDS reader endpoint shares them. Not Configured when no replica is
// set.
func replicaConfig(m env.MySQL) mysql.Config {
	c := mysqlConfig(m)
	c.DSN, c.Host, c.Port = m.ReplicaDSN, m.ReplicaHost, m.ReplicaPort
	c.MaxOpenConns = m.ReplicaMaxOpenConns
	if c.DSN == "" && c.Host == "" {
		return mysql.Config{}
	}
	return c
}

func webConfig(s env.Static) web.Config { return web.Config{URL: s.URL, Root: s.Root} }

func throttleLimits(t env.Throttle) appaccounts.ThrottleLimits {
	return appaccounts.ThrottleLimits{AccountLimit: t.AccountLimit, AccountWindow: t.AccountWindow,
		ClientLimit: t.ClientLimit, ClientWindow: t.ClientWindow,
		RegisterLimit: t.RegisterLimit, RegisterWindow: t.RegisterWindow}
}

// checksConfig is what `onit check` judges. The MySQL host comes from the
// DSN when there is one, so the loopback check sees where Onit connects.
func checksConfig(s env.Settings) checks.Config {
	sec := s.Security
	host := mysqlConfig(s.MySQL).HostName()
	return checks.Config{
		Env: string(s.Env),
		Security: checks.SecurityConfig{SecretKey: sec.SecretKey, SecretKeyFallbacks: sec.SecretKeyFallbacks, Debug: sec.Debug,
			AllowedHosts: sec.AllowedHosts, HSTSSeconds: sec.HSTSSeconds, HSTSIncludeSubdomains: sec.HSTSIncludeSubdomains,
			HSTSPreload: sec.HSTSPreload, SSLRedirect: sec.SSLRedirect, ProxySSLHeader: sec.ProxySSLHeader, TrustedProxies: sec.TrustedProxies,
			ContentTypeNosniff: sec.ContentTypeNosniff, ReferrerPolicy: sec.ReferrerPolicy,
			CrossOriginOpener: sec.CrossOriginOpener, FrameOptions: sec.FrameOptions},
		Sessions: checks.SessionsConfig{CookieSecure: s.Sessions.CookieSecure, CookieHTTPOnly: s.Sessions.CookieHTTPOnly},
		MySQL: checks.MySQLConfig{Host: host, TLS: s.MySQL.TLS, MaxOpenConns: s.MySQL.MaxOpenConns,
			Instances: s.MySQL.Instances, ServerMaxConns: s.MySQL.ServerMaxConns,
			CommandConns: s.MySQL.CommandConns, ReplicaHost: replicaConfig(s.MySQL).HostName(),
			ReplicaMaxOpenConns: s.MySQL.ReplicaMaxOpenConns, ReplicaServerMaxConns: s.MySQL.ReplicaServerMaxConns},
		Redis: checks.RedisConfig{Addrs: s.Redis.Addrs, RedisTLS: s.Redis.RedisTLS, Cluster: s.Redis.Cluster,
			KeyPrefix: s.Redis.KeyPrefix, CacheSize: s.Redis.CacheSize, CacheTTL: s.Redis.CacheTTL},
		Password: checks.PasswordConfig{Validators: s.Password.Validators},
		Log:      checks.LogConfig{Format: s.Log.Format},
		Metrics:  checks.MetricsConfig{MetricsAddr: s.Metrics.MetricsAddr, MetricsToken: s.Metrics.MetricsToken},
		Email: checks.EmailConfig{Host: s.Email.EmailHost, Username: s.Email.EmailUsername, TLS: s.Email.EmailTLS,
			PublicURL: s.PasswordReset.PublicURL, CORSAllowedOrigins: s.CORS.CORSAllowedOrigins},
	}
}
