package bootstrap

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/uptrace/bun"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/migrations"
)

// opsEnv is the environment of a management command run against a fresh
// migrated database and a Redis (the real test server when configured,
// miniredis otherwise), with its own key prefix. It returns the variables
// and a pool on the same database for assertions.
func opsEnv(t *testing.T) (map[string]string, *bun.DB) {
	t.Helper()
	dsn := mysqltest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := mysql.Open(ctx, mysqltest.Settings(dsn), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	r, err := migrations.NewRunner(db.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Up(ctx); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return map[string]string{
		"ONIT_ENV":              "test",
		"ONIT_MYSQL_DSN":        dsn,
		"ONIT_REDIS_ADDRS":      testRedisAddr(t),
		"ONIT_REDIS_KEY_PREFIX": "onit:test:" + hex.EncodeToString(b) + ":",
		"ONIT_LOG_LEVEL":        "error",
	}, db
}

// testRedisAddr is ONIT_TEST_REDIS_ADDR when it answers, else a miniredis.
func testRedisAddr(t *testing.T) string {
	t.Helper()
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatal(err)
	}
	if ts.RedisAddr != "" {
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(context.Background(), "tcp", ts.RedisAddr)
		if err == nil {
			_ = c.Close()
			return ts.RedisAddr
		}
		if ts.Require {
			t.Fatalf("ONIT_TEST_REDIS_ADDR %s: %v", ts.RedisAddr, err)
		}
	}
	return miniredis.RunT(t).Addr()
}

// with returns a copy of m with more variables.
func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// runCLIInput is runCLI with standard input.
func runCLIInput(t *testing.T, environ map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range environ {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir())
	var out, errb strings.Builder
	code = Main(context.Background(), args, cli.Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}
