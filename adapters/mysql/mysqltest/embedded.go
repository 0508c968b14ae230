//go:build devengines

package mysqltest

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/onitapp/onit/adapters/devengines"
)

// errNoEmbedded is never returned in devengines builds; it exists so New
// compiles the same way under both tags.
var errNoEmbedded = errors.New("mysqltest: built without -tags devengines")

var embedded struct {
	once sync.Once
	dsn  string
	err  error
}

// embeddedDSN starts the embedded engine once per test process and returns
// its DSN. It is never stopped: it dies with the process.
func embeddedDSN() (string, error) {
	embedded.once.Do(func() {
		embedded.dsn, _, embedded.err = devengines.StartMySQL(context.Background(), slog.New(slog.DiscardHandler))
	})
	return embedded.dsn, embedded.err
}
