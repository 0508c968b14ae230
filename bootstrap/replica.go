package bootstrap

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/env"
)

// replicaPoll is how often each instance reads the replica's lag: one
// cheap statement a second per instance.
const replicaPoll = time.Second

type routerParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	DB        *bun.DB
	Config    env.MySQL
	Log       *slog.Logger
	Observer  mysql.QueryObserver `optional:"true"`
}

type routerResult struct {
	fx.Out
	Router *mysql.ReadRouter
	// The replica's line in /readyz, when one is configured.
	Checks []httpapi.Checker `group:"checks,flatten"`
}

// newReadRouter opens the read replica's pool when one is configured
// (ONIT_MYSQL_REPLICA_DSN or _HOST) and reads its lag in the background
// while the application runs. A replica that does not answer at start is
// logged, not fatal: the primary serves its reads until it answers.
func newReadRouter(p routerParams) (routerResult, error) {
	cfg := mysql.ReplicaConfig{MaxLag: p.Config.ReplicaMaxLag, Poll: replicaPoll}
	rc := replicaConfig(p.Config)
	if !rc.Configured() {
		return routerResult{Router: mysql.NewReadRouter(p.DB, nil, cfg, p.Log)}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), rc.DialTimeout+rc.QueryTimeout)
	defer cancel()
	replica, err := mysql.OpenReplica(ctx, rc, p.Log, p.Observer)
	var unreachable *mysql.UnreachableError
	switch {
	case errors.As(err, &unreachable):
		p.Log.Warn("read replica does not answer; the primary serves its reads until it does", "err", err)
	case errors.Is(err, mysql.ErrBadDSN):
		return routerResult{}, &env.Error{Var: "ONIT_MYSQL_REPLICA_DSN", Msg: err.Error()}
	case err != nil:
		return routerResult{}, err
	}
	rr := mysql.NewReadRouter(p.DB, replica, cfg, p.Log)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); rr.Run(runCtx) }()
			return nil
		},
		OnStop: func(context.Context) error {
			stop()
			<-done
			p.Log.Info("closing the MySQL replica pool")
			return replica.Close()
		},
	})
	return routerResult{Router: rr, Checks: []httpapi.Checker{rr}}, nil
}
