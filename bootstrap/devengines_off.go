//go:build !devengines

package bootstrap

import (
	"context"

	"github.com/onitapp/onit/env"
)

// startEmbedded in a binary built without the devengines tag (production)
// starts nothing; it only explains what is missing.
func startEmbedded(_ context.Context, s *env.Settings) (stop func(), engines []string, err error) {
	stop = func() {}
	if s.MySQL.DSN == "" && s.MySQL.Host == "" {
		return stop, nil, &env.Error{Var: "ONIT_MYSQL_DSN", Msg: "not set (this binary has no embedded engines; use `go tool task dev` for those)"}
	}
	if len(s.Redis.Addrs) == 0 {
		return stop, nil, &env.Error{Var: "ONIT_REDIS_ADDRS", Msg: "not set (this binary has no embedded engines; use `go tool task dev` for those)"}
	}
	return stop, nil, nil
}
