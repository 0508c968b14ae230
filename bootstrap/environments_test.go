package bootstrap

import (
	"io"
	"testing"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// Every composition must resolve: a missing provider or a cycle fails
// here instead of at deploy time.
func TestCompositionsValidate(t *testing.T) {
	servers := func(e env.Environment) env.Settings {
		s := env.Defaults(e)
		s.MySQL.DSN = "onit:pw@tcp(db.internal:3306)/onit"
		s.Redis.Addrs = []string{"cache.internal:6379"}
		return s
	}
	migrateOnStart := servers(env.Production)
	migrateOnStart.MySQL.MigrateOnStart = true
	tests := []struct {
		name string
		opts fx.Option
	}{
		{"development with servers", fx.Options(Development(servers(env.Development), io.Discard), Serving)},
		{"development embedded", fx.Options(Development(env.Defaults(env.Development), io.Discard), Serving)},
		{"test", fx.Options(Test(servers(env.Test), io.Discard), Serving)},
		{"production", fx.Options(Production(servers(env.Production), io.Discard), Serving)},
		{"production --migrate", fx.Options(Production(migrateOnStart, io.Discard), Serving)},
		{"in memory", InMemory(env.Defaults(env.Test), io.Discard)},
		{"account commands", accountsCommand(servers(env.Production), io.Discard)},
		{"account commands, development", accountsCommand(servers(env.Development), io.Discard)},
		{"account commands, development without Redis", accountsCommand(func() env.Settings {
			s := servers(env.Development)
			s.Redis.Addrs = nil
			return s
		}(), io.Discard)},
		{"import command", importCommand(servers(env.Production), io.Discard, &importPorts{})},
		{"import command, development", importCommand(servers(env.Development), io.Discard, &importPorts{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := fx.ValidateApp(tt.opts); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Outside development every server must be configured; development
// without them needs a binary with the embedded engines.
func TestServersError(t *testing.T) {
	if err := serversError(env.Defaults(env.Production)); err == nil {
		t.Error("production without servers passes")
	}
	err := serversError(env.Defaults(env.Development))
	if embeddedAvailable != (err == nil) {
		t.Errorf("development without servers: %v (embedded engines linked: %v)", err, embeddedAvailable)
	}
}
