//go:build devengines

package devengines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"
)

// quietOnce turns go-mysql-server's logging down once per process.
var quietOnce sync.Once

// StartMySQL serves an in-memory go-mysql-server over the MySQL wire
// protocol on a free loopback port, with an empty database "onit", so the
// real driver, bun adapter and goose migrations run against it unchanged.
// The returned DSN logs in as root without a password. stop closes the
// listener; the data is lost with the process.
func StartMySQL(ctx context.Context, log *slog.Logger) (dsn string, stop func(), err error) {
	if log == nil {
		log = slog.Default()
	}
	// go-mysql-server logs through logrus's process-wide logger: every
	// connection at info and every failed query (a duplicate key a test
	// provokes on purpose) at warn. Only its errors are worth seeing.
	quietOnce.Do(func() { logrus.SetLevel(logrus.ErrorLevel) })
	onit := memory.NewDatabase("onit")
	onit.EnablePrimaryKeyIndexes()
	pro := memory.NewDBProviderWithOpts(
		memory.NativeIndexProvider(true),
		memory.WithDbsOption([]sql.Database{onit}),
	).(*memory.DbProvider)
	engine := sqle.NewDefault(pro)

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("devengines: listen: %w", err)
	}
	cfg := server.Config{Protocol: "tcp", Listener: ln, Address: ln.Addr().String()}
	wrap := func(h vmysql.Handler) (vmysql.Handler, error) { return newSerialHandler(h), nil }
	srv, err := server.NewServerWithHandler(cfg, engine, sql.NewContext, memory.NewSessionBuilder(pro), nil, wrap)
	if err != nil {
		_ = ln.Close()
		return "", nil, fmt.Errorf("devengines: mysql server: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Start(); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("embedded mysql stopped", "err", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = srv.Close()
			<-done
		})
	}
	addr := ln.Addr().String()
	log.InfoContext(ctx, "embedded mysql (go-mysql-server) listening", "addr", addr)
	return fmt.Sprintf("root:@tcp(%s)/onit", addr), stop, nil
}
