package bootstrap

import (
	"io"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// server is every module the HTTP server needs, whatever the environment.
func server(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(
		settingsModule(s),
		loggingModule(logs),
		systemModule,
		mysqlModule,
		redisModule,
		accountsModule,
		sessionsModule, // bootstrap/sessions.go: instance-local sessions and revocations
		projectCacheModule,
		projectsModule,
		i18nModule,
		httpModule,
		operationsModule,      // bootstrap/operations.go: metrics
		mailModule,            // bootstrap/mail.go: email and the outbox sender
		passwordResetModule,   // bootstrap/mail.go: password resets
		staffModule,           // bootstrap/staff.go: the staff console
		sessionActivityModule, // bootstrap/activity.go: sessions' last use
		// Migrating on start happens before start (migrate.go), outside
		// this timeout: it covers connecting and the start hooks only.
		fx.StartTimeout(30*time.Second),
		// Stop must outlast the drain: the readiness delay plus the
		// in-flight requests' grace, plus time to close the pools.
		fx.StopTimeout(s.HTTP.ShutdownDelay+s.HTTP.ShutdownTimeout+5*time.Second),
	)
}

// migrating is the migrate-on-start module when the settings ask for it
// (ONIT_MIGRATE_ON_START, or `onit serve --migrate`).
func migrating(s env.Settings) fx.Option {
	if s.MySQL.MigrateOnStart {
		return migrateOnStartModule
	}
	return fx.Options()
}

// Development is the local composition: what is not configured runs
// embedded (go-mysql-server, miniredis; binaries built with the devengines
// tag only), and an embedded database is migrated on start, since it
// starts empty.
func Development(s env.Settings, logs io.Writer) fx.Option {
	if !mysqlConfig(s.MySQL).Configured() {
		s.MySQL.MigrateOnStart = true
	}
	return fx.Options(server(s, logs), embeddedEngines(s), migrating(s))
}

// Test is the composition HTTP tests boot: real adapters, which the tests
// point at their own database and Redis with fx.Decorate; fx stays quiet.
func Test(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(server(s, logs), migrating(s), fx.NopLogger)
}

// Production is the deployed composition: real servers only (serversError
// refuses settings without them), migrations only on --migrate.
func Production(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(server(s, logs), migrating(s))
}

// Composition picks the option set for the settings' environment.
func Composition(s env.Settings, logs io.Writer) fx.Option {
	switch s.Env {
	case env.Production:
		return Production(s, logs)
	case env.Test:
		return Test(s, logs)
	default:
		return Development(s, logs)
	}
}

// accountsCommand is what the account commands (createsuperuser,
// changepassword, clearsessions, and import django through
// importCommand) need: the accounts service with its database, session
// cache and revocations, and the catalog for messages.
// No HTTP, no metrics, no migrations. In development a missing Redis runs
// embedded (a cache may start empty); a missing database is refused
// before this is built (commands.go).
func accountsCommand(s env.Settings, logs io.Writer) fx.Option {
	opts := []fx.Option{
		settingsModule(s),
		loggingModule(logs),
		systemModule,
		mysqlModule,
		redisModule,
		accountsModule,
		sessionsModule,
		i18nModule,
	}
	if s.Env == env.Development {
		opts = append(opts, embeddedRedis(s))
	}
	return fx.Options(opts...)
}

// importCommand is what `onit import django` needs: the account commands'
// modules (the database, the session cache and the revocations that keep
// running instances' local caches true, the hasher) with their ports
// handed to into when the application starts.
func importCommand(s env.Settings, logs io.Writer, into *importPorts) fx.Option {
	return fx.Options(accountsCommand(s, logs), fx.Invoke(func(p importPorts) { *into = p }))
}
