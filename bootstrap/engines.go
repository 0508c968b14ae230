package bootstrap

import (
	"sync"

	"github.com/onitapp/onit/env"
)

// engines records what runs embedded in this process, for the banner.
type engines struct {
	mu   sync.Mutex
	list []engine
}

type engine struct {
	What, Addr string
	DSN        string // how another process reaches it ("" for Redis)
}

func (e *engines) add(en engine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, en)
}

func (e *engines) all() []engine {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]engine(nil), e.list...)
}

// missingServers is the settings error of a composition that cannot run
// an embedded engine for an unconfigured server.
func missingServers(s env.Settings, why string) env.Errors {
	var errs env.Errors
	if !mysqlConfig(s.MySQL).Configured() {
		errs = append(errs, &env.Error{Var: "ONIT_MYSQL_DSN", Msg: "not set (nor ONIT_MYSQL_HOST)" + why})
	}
	if len(s.Redis.Addrs) == 0 {
		errs = append(errs, &env.Error{Var: "ONIT_REDIS_ADDRS", Msg: "not set" + why})
	}
	return errs
}

// serversError is the settings error of settings a composition cannot
// run with: outside development every server must be configured, and in
// development a binary without the embedded engines needs them too.
func serversError(s env.Settings) error {
	why := ""
	switch {
	case s.Env == env.Development && embeddedAvailable:
		return nil
	case s.Env == env.Development:
		why = " (this binary has no embedded engines; use `go tool task dev` for those)"
	}
	if errs := missingServers(s, why); len(errs) > 0 {
		return errs
	}
	return nil
}
