package env

import (
	"os"

	"github.com/caarlos0/env/v11"
)

// TestServices tells test helpers which real servers to test the adapters
// against. Without addresses they fall back to embedded engines; with
// Require set an unreachable server fails the run instead (CI sets it, so a
// broken service can never turn into silently skipped tests).
type TestServices struct {
	MySQLDSN  string `env:"ONIT_TEST_MYSQL_DSN"`
	RedisAddr string `env:"ONIT_TEST_REDIS_ADDR"`
	Require   bool   `env:"ONIT_TEST_REQUIRE_SERVICES"`
}

// LoadTestServices reads TestServices from the process environment.
func LoadTestServices() (TestServices, error) {
	var ts TestServices
	err := env.ParseWithOptions(&ts, env.Options{Environment: environMap()})
	return ts, err
}

func environMap() map[string]string {
	m := map[string]string{}
	src := Source{Environ: os.Environ()}
	vars, _ := src.vars()
	for k, v := range vars {
		m[k] = v
	}
	return m
}
