package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/onitapp/onit/adapters/djangohash"
	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/adapters/metrics"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/passwordlist"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/system"
	"github.com/onitapp/onit/adapters/web"

	appaccounts "github.com/onitapp/onit/app/accounts"
	appprojects "github.com/onitapp/onit/app/projects"
	"github.com/onitapp/onit/domain/password"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// settingsModule supplies the settings and each concern's slice of them, so
// constructors ask only for what they use. Adapters get their own Config
// values (config.go), made from these.
func settingsModule(s env.Settings) fx.Option {
	return fx.Module("settings",
		fx.Supply(s, s.HTTP, s.MySQL, s.Redis, s.Security, s.Sessions,
			s.Password, s.Throttle, s.Log, s.I18n, s.Static, s.Metrics, s.Checks, s.Idempotency,
			s.PasswordReset, s.Email, s.CORS),
		// Provided from env.MySQL rather than supplied, so the embedded
		// engine's decoration of env.MySQL (development) reaches the pool.
		fx.Provide(mysqlConfig, func() *engines { return &engines{} }),
	)
}

// loggingModule provides the process logger and routes fx's own events to
// it at debug level, so start-up is quiet unless asked. fx.WithLogger must
// stay outside fx.Module: inside, it would only cover that module.
func loggingModule(w io.Writer) fx.Option {
	return fx.Options(
		fx.Module("logging", fx.Provide(func(cfg env.Log) *slog.Logger { return NewLogger(cfg, w) })),
		fx.WithLogger(func(log *slog.Logger) fxevent.Logger {
			// fx's own failure events at debug too: the command prints the
			// failure once, as one line (see failure.go), instead of fx
			// logging it again with a stack.
			l := &fxevent.SlogLogger{Logger: log}
			l.UseLogLevel(slog.LevelDebug)
			l.UseErrorLevel(slog.LevelDebug)
			return l
		}),
	)
}

// systemModule binds the real clock and random source.
var systemModule = fx.Module("system",
	fx.Provide(
		fx.Annotate(func() system.Clock { return system.Clock{} }, fx.As(new(ports.Clock))),
		fx.Annotate(func() system.Random { return system.Random{} }, fx.As(new(ports.Random))),
	),
)

// checker tags a health probe for /readyz.
func checker(f any) any {
	return fx.Annotate(f, fx.As(new(httpapi.Checker)), fx.ResultTags(`group:"checks"`))
}

// mysqlModule opens the pool and provides the repositories both outside
// and inside transactions. Migrating on start is a module of its own
// (migrate.go), in the compositions that do it.
var mysqlModule = fx.Module("mysql",
	fx.Provide(
		openDB,
		newReadRouter, // replica.go
		reposFor,
		fx.Annotate(newUnitOfWork, fx.As(new(ports.UnitOfWork))),
		checker(mysql.NewHealth),
		mysql.NewServer,
		// The staff console reads the primary: it must see its own actions.
		fx.Annotate(func(db *bun.DB) *mysql.StaffDirectory { return mysql.NewStaffDirectory(db) }, fx.As(new(ports.StaffDirectory))),
	),
)

// dbParams are openDB's inputs; the query observer (metrics) is optional so
// commands and tests can run without one.
type dbParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    mysql.Config
	Log       *slog.Logger
	Observer  mysql.QueryObserver `optional:"true"`
}

func openDB(p dbParams) (*bun.DB, error) {
	db, err := openPool(context.Background(), p.Config, p.Log, p.Observer)
	if err != nil {
		return nil, err
	}
	p.Lifecycle.Append(fx.StopHook(func() error {
		p.Log.Info("closing the MySQL pool")
		return db.Close()
	}))
	return db, nil
}

// openPool opens the pool within its dial and query timeouts; its errors
// name the setting to look at (failure.go).
func openPool(ctx context.Context, cfg mysql.Config, log *slog.Logger, obs mysql.QueryObserver) (*bun.DB, error) {
	if !cfg.Configured() {
		return nil, &env.Error{Var: "ONIT_MYSQL_DSN", Msg: "not set (nor ONIT_MYSQL_HOST)"}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout+cfg.QueryTimeout)
	defer cancel()
	db, err := mysql.Open(ctx, cfg, log, obs)
	if errors.Is(err, mysql.ErrBadDSN) {
		return nil, &env.Error{Var: "ONIT_MYSQL_DSN", Msg: err.Error()}
	}
	if err != nil {
		return nil, &failure{settings: mysqlSettings(cfg), err: err}
	}
	return db, nil
}

// mysqlSettings names the variables that say where the database is.
func mysqlSettings(cfg mysql.Config) string {
	if cfg.DSN != "" {
		return "ONIT_MYSQL_DSN"
	}
	return "ONIT_MYSQL_HOST, ONIT_MYSQL_PORT, ONIT_MYSQL_USER, ONIT_MYSQL_PASSWORD"
}

func newUnitOfWork(db *bun.DB) *mysql.UnitOfWork { return mysql.NewUnitOfWork(db, mysqlRepos) }

// reposFor is the pool's repositories; their lists read through rr (the
// replica when it is usable). Inside a transaction (mysqlRepos alone)
// every read is the transaction's.
func reposFor(db *bun.DB, rr *mysql.ReadRouter) ports.Repos {
	r := mysqlRepos(db)
	r.Tasks = mysql.NewTaskRepository(db).ReadingFrom(rr)
	r.Projects = mysql.NewProjectRepository(db).ReadingFrom(rr)
	r.Comments = mysql.NewCommentRepository(db).ReadingFrom(rr)
	r.Members = mysql.NewMemberRepository(db).ReadingFrom(rr)
	return r
}

// mysqlRepos lists every MySQL repository acting on db, which is the pool
// or a transaction.
func mysqlRepos(db bun.IDB) ports.Repos {
	return ports.Repos{
		Users:       mysql.NewUserRepository(db),
		Sessions:    mysql.NewSessionRepository(db),
		Projects:    mysql.NewProjectRepository(db),
		Members:     mysql.NewMemberRepository(db),
		Tasks:       mysql.NewTaskRepository(db),
		Comments:    mysql.NewCommentRepository(db),
		Idempotency: mysql.NewIdempotencyRepository(db),

		ImportedUsers:    mysql.NewImportedUserRepository(db),
		ImportedSessions: mysql.NewImportedSessionRepository(db),
		ImportRuns:       mysql.NewImportRunRepository(db),

		PasswordResets: mysql.NewPasswordResetRepository(db),
		Outbox:         mysql.NewOutbox(db),
		Audit:          mysql.NewAuditLog(db),
	}
}

// redisModule builds the client and the Redis-backed ports.
var redisModule = fx.Module("redis",
	fx.Provide(
		newRedis,
		func(cfg env.Redis) redisstore.Keys { return redisstore.Keys{Prefix: cfg.KeyPrefix} },
		// Redis, and an in-process throttle with the same limits while Redis fails.
		fx.Annotate(func(c redis.UniversalClient, k redisstore.Keys, clock ports.Clock, log *slog.Logger) *appaccounts.FallbackThrottle {
			return appaccounts.NewFallbackThrottle(redisstore.NewThrottle(c, k), memory.NewThrottle(clock), log)
		}, fx.As(new(ports.Throttle))),
		checker(redisstore.NewHealth),
	),
)

// redisParams are newRedis's inputs; the command observer (metrics) is optional.
type redisParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    env.Redis
	Log       *slog.Logger
	Observer  redisstore.Observer `optional:"true"`
}

// redisLogger adapts slog to go-redis's logging interface.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// routeRedisLogs sends go-redis's process-wide logger (reconnect noise)
// into log at warn, so it is structured and filterable like every line.
func routeRedisLogs(log *slog.Logger) { redis.SetLogger(redisLogger{log}) }

func newRedis(p redisParams) (redis.UniversalClient, error) {
	c, err := redisstore.NewClient(p.Config, p.Log)
	if err != nil {
		return nil, err
	}
	if p.Observer != nil {
		c.AddHook(redisstore.NewHook(p.Observer))
	}
	routeRedisLogs(p.Log)
	p.Lifecycle.Append(fx.StopHook(c.Close))
	return c, nil
}

// accountsModule is the accounts feature: hasher, password policy, service.
var accountsModule = fx.Module("accounts",
	fx.Provide(
		// One hasher: what the import checks it can verify is what logins verify.
		fx.Annotate(func(cfg env.Password, t env.Throttle) *djangohash.Hasher {
			h := djangohash.New(cfg.Iterations)
			h.SetThreadNiceness(t.HashNice)
			return h
		},
			fx.As(new(ports.PasswordHasher)), fx.As(new(ports.PasswordHashInspector))),
		passwordPolicy,
		newAccountsService,
		func(svc *appaccounts.Service, s env.Sessions, sec env.Security, cors env.CORS, log *slog.Logger, cat *i18n.Catalog) *httpapi.AccountsAPI {
			cookie := httpapi.SessionCookie{CookieName: s.CookieName, CookieSecure: s.CookieSecure, CookieHTTPOnly: s.CookieHTTPOnly}
			// Origins allowed by CORS send cookie-authenticated writes too,
			// so the cross-site request check must trust them.
			trusted := append(append([]string(nil), sec.TrustedOrigins...), cors.CORSAllowedOrigins...)
			return httpapi.NewAccountsAPI(svc, cookie, trusted, log, cat)
		},
	),
	fx.Invoke(reserveProcsForHashing),
)

// passwordPolicy builds Django's validators from ONIT_PASSWORD_* settings.
func passwordPolicy(cfg env.Password) (password.Policy, error) {
	p := password.Policy{MaxSimilarity: cfg.MaxSimilarity}
	for _, v := range cfg.Validators {
		switch v {
		case "similarity":
			p.Similarity = true
		case "min_length":
			p.MinLength = cfg.MinLength
		case "common":
			list, err := passwordlist.Load(cfg.CommonListPath)
			if err != nil {
				return p, &env.Error{Var: "ONIT_PASSWORD_LIST_PATH", Msg: err.Error()}
			}
			p.Common = list
		case "numeric":
			p.Numeric = true
		}
	}
	return p, nil
}

func newAccountsService(s env.Sessions, policy password.Policy, r ports.Repos,
	throttle ports.Throttle, hasher ports.PasswordHasher, uow ports.UnitOfWork,
	clock ports.Clock, random ports.Random, log *slog.Logger, t env.Throttle,
) *appaccounts.Service {
	cfg := appaccounts.Config{SessionAge: s.CookieAge, Policy: policy, Throttle: throttleLimits(t), HashWorkers: t.HashWorkers}
	return appaccounts.New(cfg, r.Users, r.Sessions, throttle, hasher, uow, clock, random, log)
}

// projectCacheModule is the instance's in-memory copy of projects, tasks
// and roles in front of MySQL for the projects feature (sessionsModule
// builds it, behind the invalidation feeds): a warm read costs no round
// trip, to Redis or MySQL.
var projectCacheModule = fx.Module("projectcache",
	fx.Provide(func(o *localcache.Objects) ports.ProjectCache { return o }),
)

// projectsModule is the projects feature: projects, members, tasks and
// comments, with whatever project cache the composition provides.
var projectsModule = fx.Module("projects",
	fx.Provide(
		func(uow ports.UnitOfWork, r ports.Repos, cache ports.ProjectCache, revs ports.Revocations, clock ports.Clock, cfg env.Idempotency, h env.HTTP) *appprojects.Service {
			// A keyed task POST's claim is in progress for as long as its
			// request may still be working.
			return appprojects.NewService(uow, r, cache, revs, clock,
				appprojects.Config{IdempotencyTTL: cfg.IdempotencyTTL, ClaimTimeout: h.RequestTimeout})
		},
		func(svc *appprojects.Service, sec env.Security, log *slog.Logger) *httpapi.ProjectsAPI {
			return httpapi.NewProjectsAPI(svc, sec.SecretKey, log)
		},
	),
)

// i18nModule is the message catalog, in the default language
// ONIT_LANGUAGE_CODE names.
var i18nModule = fx.Module("i18n",
	fx.Provide(func(cfg env.I18n) (*i18n.Catalog, error) {
		cat, err := i18n.Load(cfg.LanguageCode)
		if err != nil {
			return nil, &env.Error{Var: "ONIT_LANGUAGE_CODE", Msg: err.Error()}
		}
		return cat, nil
	}),
)

// httpModule builds the server; Serving ties it to the application's
// lifecycle.
var httpModule = fx.Module("http",
	fx.Provide(
		fx.Annotate(newServer, fx.ParamTags(``, ``, ``, `group:"checks"`)),
		newStatic,
	),
)

// newStatic is the frontend's files, fingerprinted once at start-up.
func newStatic(cfg env.Static) (*web.Handler, error) {
	h, err := web.New(webConfig(cfg))
	var ce *web.ConfigError
	if errors.As(err, &ce) {
		key := map[string]string{"URL": "ONIT_STATIC_URL", "Root": "ONIT_STATIC_ROOT"}[ce.Field]
		return nil, &env.Error{Var: key, Msg: ce.Err.Error()}
	}
	return h, err
}

// Serving listens at start (so a taken port fails start-up), serves in a
// goroutine and drains at stop.
var Serving = fx.Invoke(runServer)

func newServer(s env.Settings, log *slog.Logger, cat *i18n.Catalog, checks []httpapi.Checker,
	accounts *httpapi.AccountsAPI, projects *httpapi.ProjectsAPI, admin *httpapi.AdminAPI, static *web.Handler,
	m *metrics.Metrics, mcfg env.Metrics,
) (*httpapi.Server, error) {
	srv, err := httpapi.New(httpConfig(s), log, cat, checks,
		accounts.Register,
		projects.Module(accounts),
		admin.Register, // the staff console (bootstrap/staff.go)
	)
	if err != nil {
		return nil, err
	}
	srv.MountStatic(static) // the web frontend: /static/* and index.html for client routes
	// Every request is measured; /metrics is served as settings say (see
	// httpapi.MetricsConfig). Set before Listen, which starts its listener.
	srv.SetMetrics(httpapi.MetricsConfig{Observer: m, Handler: m.Handler(), Token: mcfg.MetricsToken, Addr: mcfg.MetricsAddr})
	srv.SetProfiling(mcfg.PprofAddr) // off unless set; loopback only
	return srv, nil
}

// httpConfig is the HTTP adapter's slice of the settings. Debug details
// never reach clients in production, whatever ONIT_DEBUG says.
func httpConfig(s env.Settings) httpapi.Config {
	h, sec := s.HTTP, s.Security
	cfg := httpapi.Config{
		Development: s.Env == env.Development,
		HTTP: httpapi.HTTPConfig{Addr: h.Addr, ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout,
			WriteTimeout: h.WriteTimeout, IdleTimeout: h.IdleTimeout, RequestTimeout: h.RequestTimeout, ShutdownDelay: h.ShutdownDelay},
		Security: httpapi.SecurityConfig{Debug: sec.Debug && s.Env != env.Production, AllowedHosts: sec.AllowedHosts, FailClosedHosts: s.Env == env.Production,
			HSTSSeconds: sec.HSTSSeconds, HSTSIncludeSubdomains: sec.HSTSIncludeSubdomains, HSTSPreload: sec.HSTSPreload,
			SSLRedirect: sec.SSLRedirect, ProxySSLHeader: sec.ProxySSLHeader, TrustedProxies: sec.TrustedProxies, ContentTypeNosniff: sec.ContentTypeNosniff,
			ReferrerPolicy: sec.ReferrerPolicy, CrossOriginOpener: sec.CrossOriginOpener, FrameOptions: sec.FrameOptions,
			CORSAllowedOrigins: s.CORS.CORSAllowedOrigins},
	}
	if replicaConfig(s.MySQL).Configured() {
		cfg.ReadYourWrites = httpapi.ReadYourWritesConfig{Window: s.MySQL.ReplicaReadYourWrites, Secure: s.Sessions.CookieSecure}
	}
	return cfg
}

func runServer(lc fx.Lifecycle, srv *httpapi.Server, cfg env.HTTP, log *slog.Logger) {
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := srv.Listen(ctx); err != nil {
				return &failure{settings: "ONIT_HTTP_ADDR and ONIT_METRICS_ADDR", err: err}
			}
			go srv.Serve()
			log.Info("listening", "addr", srv.Addr().String())
			return nil
		},
		OnStop: srv.Shutdown,
	})
}
