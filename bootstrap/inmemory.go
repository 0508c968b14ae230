package bootstrap

import (
	"io"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/localcache"
	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/adapters/metrics"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// InMemory is a composition without MySQL or Redis: the memory twins of
// every repository, the memory unit of work, the memory session cache and
// throttle, the instance-local session cache fed by an in-process
// revocation bus, and no project cache (every read goes to the memory
// store, which is faster than a cache would be). Everything else (the
// accounts and projects services, the HTTP server with every handler and
// middleware) is the real wiring. It exists for benchmarks and profiles of
// the HTTP path (adapters/httpapi/bench_test.go), where a database would
// only add noise; data lives as long as the app. It does not serve: add
// Serving, or drive Server.Handler() directly.
func InMemory(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(
		settingsModule(s),
		loggingModule(logs),
		systemModule,
		memoryModule,
		accountsModule,
		fx.Module("sessions", fx.Invoke(useMemorySessions)),
		// No project cache: every read goes to the memory store.
		fx.Module("projectcache", fx.Provide(func() ports.ProjectCache { return nil },
			func() ports.Revocations { return nil })),
		projectsModule,
		i18nModule,
		// Request metrics stay on, as in production; their database and Redis
		// collectors (operationsModule) have nothing to read here.
		fx.Module("metrics", fx.Provide(metrics.New)),
		httpModule,
		staffModule,
		fx.Module("passwordreset", fx.Invoke(func(svc *appaccounts.Service, s env.Settings, r ports.Repos,
			clock ports.Clock, cat *i18n.Catalog) {
			svc.UsePasswordResets(resetConfig(s), r.PasswordResets, cat)
		})),
		fx.NopLogger,
	)
}

// memoryModule binds the memory twins to the ports mysqlModule and
// redisModule would provide.
var memoryModule = fx.Module("memory",
	fx.Provide(
		memory.NewUserRepository,
		func(users *memory.UserRepository) *memory.ProjectsStore { return memory.NewProjectsStore(users) },
		func(users *memory.UserRepository, s *memory.ProjectsStore) ports.Repos {
			sessions := memory.NewSessionRepository()
			return ports.Repos{Users: users, Sessions: sessions, Projects: s.Projects(),
				Members: s.Members(), Tasks: s.Tasks(), Comments: s.Comments(), Idempotency: s.Idempotency(),
				ImportedUsers: memory.NewImportedUserRepository(users), ImportedSessions: memory.NewImportedSessionRepository(sessions),
				ImportRuns:     memory.NewImportRunRepository(),
				PasswordResets: memory.NewPasswordResetRepository(), Outbox: memory.NewOutbox(), Audit: memory.NewAuditLog()}
		},
		fx.Annotate(memory.NewUnitOfWork, fx.As(new(ports.UnitOfWork))),
		fx.Annotate(memory.NewStaffDirectory, fx.As(new(ports.StaffDirectory))),
		fx.Annotate(memory.NewThrottle, fx.As(new(ports.Throttle))),
	),
)

// useMemorySessions gives the accounts service its local session cache on
// an in-process bus, which cannot lose a revocation.
func useMemorySessions(svc *appaccounts.Service, cfg env.Sessions) {
	local := localcache.NewSessions(cfg.LocalCacheSize, cfg.LocalCacheTTL)
	bus := memory.NewRevocationBus()
	bus.Subscribe(local)
	svc.UseLocalSessions(local, bus)
}
