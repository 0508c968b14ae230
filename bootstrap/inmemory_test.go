package bootstrap

import (
	"io"
	"testing"

	"go.uber.org/fx"

	"github.com/onitapp/onit/env"
)

// TestInMemoryValidates keeps the benchmark's composition buildable as the
// real wiring grows new dependencies.
func TestInMemoryValidates(t *testing.T) {
	t.Parallel()
	if err := fx.ValidateApp(InMemory(env.Defaults(env.Test), io.Discard)); err != nil {
		t.Fatal(err)
	}
}
