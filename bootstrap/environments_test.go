package bootstrap

import (
	"io"
	"testing"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// Every environment's composition must resolve: a missing provider or a
// cycle fails here instead of at deploy time.
func TestCompositionsValidate(t *testing.T) {
	for _, e := range []env.Environment{env.Development, env.Test, env.Production} {
		t.Run(string(e), func(t *testing.T) {
			s := env.Defaults(e)
			s.MySQL.DSN = "onit:pw@tcp(db.internal:3306)/onit"
			s.Redis.Addrs = []string{"cache.internal:6379"}
			if err := fx.ValidateApp(Composition(s, io.Discard), Serving); err != nil {
				t.Fatal(err)
			}
		})
	}
}
