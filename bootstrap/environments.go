package bootstrap

import (
	"io"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// common is every module all environments share.
func common(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(
		settingsModule(s),
		loggingModule(logs),
		systemModule,
		mysqlModule,
		redisModule,
		accountsModule,
		sessionsModule, // bootstrap/sessions.go: instance-local sessions and revocations
		projectsModule,
		httpModule,
		operationsModule, // bootstrap/operations.go: metrics
		fx.StartTimeout(30*time.Second),
		// Stop must outlast the drain: the readiness delay plus the
		// in-flight requests' grace, plus time to close the pools.
		fx.StopTimeout(s.HTTP.ShutdownDelay+s.HTTP.ShutdownTimeout+5*time.Second),
	)
}

// Development is the local composition: migrations run on start (by
// default) and, when no servers are configured, the embedded engines were
// started by the caller (see startEmbedded).
func Development(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(common(s, logs))
}

// Test is the composition tests boot; they swap adapters with fx.Decorate.
func Test(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(common(s, logs), fx.NopLogger)
}

// Production is the deployed composition: nothing embedded, migrations only
// on --migrate, safe defaults from env.
func Production(s env.Settings, logs io.Writer) fx.Option {
	return fx.Options(common(s, logs))
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
