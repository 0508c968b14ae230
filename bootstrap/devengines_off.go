//go:build !devengines

package bootstrap

import (
	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// embeddedAvailable: this binary (production's) links no embedded engine;
// serversError refuses development settings that would need one.
const embeddedAvailable = false

func embeddedEngines(env.Settings) fx.Option { return fx.Options() }

func embeddedRedis(env.Settings) fx.Option { return fx.Options() }
