package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/env"
)

// NewPrivate starts a redis-server of t's own on a spare port (no
// persistence) and returns a client of it, for tests that read server-wide
// figures such as INFO commandstats, which other tests sharing a server
// would disturb. ok is false when no redis-server binary is found; t then
// fails when ONIT_TEST_REQUIRE_SERVICES is set.
func NewPrivate(t testing.TB) (c redis.UniversalClient, k redisstore.Keys, ok bool) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if ts, _ := env.LoadTestServices(); ts.Require {
			t.Fatalf("redistest: no redis-server on PATH for a private server")
		}
		return nil, redisstore.Keys{}, false
	}
	l, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, //nolint:noctx // killed at cleanup
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("redistest: start redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err = connect(addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: private redis-server at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, redisstore.Keys{Prefix: "onit:test:" + randomHex(t) + ":"}, true
}

// CommandStats returns the calls per command of INFO commandstats (keys as
// Redis names them: "get", "publish", "client|setinfo"). Commands a Lua
// script runs are counted too, as ElastiCache's ECPU accounting charges
// them.
func CommandStats(ctx context.Context, c redis.UniversalClient) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("redistest: INFO commandstats: %w", err)
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			return nil, errors.New("redistest: unreadable commandstats line " + line)
		}
		out[name] = n
	}
	return out, nil
}
