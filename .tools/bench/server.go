package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	onitmysql "github.com/onitapp/onit/adapters/mysql"
)

// buildServer compiles the production binary: no devengines tag, so what is
// measured is what ships (no embedded engines linked in).
func buildServer(ctx context.Context, root, dir string, log io.Writer) (string, error) {
	bin := filepath.Join(dir, "onit")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bootstrap/cmd/onit")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./bootstrap/cmd/onit: %w", err)
	}
	return bin, nil
}

// randomString returns n characters from a varied alphabet, enough for the
// production secret-key check and for unguessable tokens.
func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!@%^*+="
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// database is the bench's private MariaDB database on the given server.
type database struct {
	admin *sql.DB // no default database: creates, drops and reads status
	name  string
	dsn   string // the server's DSN, pointing at the new database
}

// createDatabase makes a fresh database so the bench neither reads nor
// harms anyone else's rows.
func createDatabase(ctx context.Context, serverDSN, name string) (*database, error) {
	cfg, err := mysql.ParseDSN(serverDSN)
	if err != nil {
		return nil, fmt.Errorf("MySQL DSN: %w", err)
	}
	if !strings.HasPrefix(cfg.Addr, "127.0.0.1:") && !strings.HasPrefix(cfg.Addr, "localhost:") && cfg.Addr != "127.0.0.1" && cfg.Addr != "localhost" {
		// The harness loads whatever it points at; keep it off shared servers.
		return nil, fmt.Errorf("MySQL address %q is not on loopback", cfg.Addr)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	// One connection: every status reading comes from the same session, and
	// the harness adds one client, not a pool, to the measured server.
	admin.SetMaxOpenConns(1)
	if err := onitmysql.ServerOf(admin).CreateDatabase(ctx, name); err != nil {
		admin.Close()
		return nil, err
	}
	cfg.DBName = name
	return &database{admin: admin, name: name, dsn: cfg.FormatDSN()}, nil
}

func (d *database) drop(ctx context.Context) error {
	err := onitmysql.ServerOf(d.admin).DropDatabase(ctx, d.name)
	return errors.Join(err, d.admin.Close())
}

// deleteRedisKeys removes every key under prefix. The loop is bounded: a
// SCAN over a huge keyspace stops after maxRounds and says so.
func deleteRedisKeys(ctx context.Context, rdb *redis.Client, prefix string) (int, error) {
	const maxRounds = 100000
	var cursor uint64
	deleted := 0
	for range maxRounds {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return deleted, err
		}
		if len(keys) > 0 {
			n, err := rdb.Unlink(ctx, keys...).Result()
			if err != nil {
				return deleted, err
			}
			deleted += int(n)
		}
		if next == 0 {
			return deleted, nil
		}
		cursor = next
	}
	return deleted, fmt.Errorf("redis SCAN did not finish in %d rounds", maxRounds)
}

// server is the running onit process.
type server struct {
	cmd         *exec.Cmd
	base        string // http://127.0.0.1:port
	metricsTok  string
	exited      chan error
	logPath     string
	logFile     *os.File
	stopTimeout time.Duration
	readyPath   string // answers 200 once the process serves
	pprofAddr   string // host:port of net/http/pprof; empty: not served
}

// serverConfig is what the harness decides about the server it starts.
type serverConfig struct {
	bin          string
	workDir      string
	logPath      string
	mysqlDSN     string
	redisAddr    string
	redisPrefix  string
	metricsToken string
	iterations   int  // 0: the production default
	pprof        bool // serve net/http/pprof on a loopback port (--cpuprofile)
}

// freeAddr finds a free loopback port. Another process could take it
// before the server binds; the server then fails to start and says so.
func freeAddr(ctx context.Context) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverEnv is the server's environment: production defaults with only
// what loopback and a benchmark need changed. The caller's ONIT_* variables
// are dropped so a developer's .env-style exports cannot skew the numbers.
func serverEnv(parent []string, c serverConfig, addr, pprof string) []string {
	var out []string
	for _, kv := range parent {
		if !strings.HasPrefix(kv, "ONIT_") {
			out = append(out, kv)
		}
	}
	out = append(out,
		"ONIT_ENV=production",
		"ONIT_HTTP_ADDR="+addr,
		"ONIT_SECRET_KEY="+randomString(64),
		"ONIT_MYSQL_DSN="+c.mysqlDSN,
		"ONIT_MYSQL_TLS=false", // loopback; RDS would use TLS
		"ONIT_REDIS_ADDRS="+c.redisAddr,
		"ONIT_REDIS_TLS=false",
		"ONIT_REDIS_CLUSTER=false", // a single local Redis, not ElastiCache Serverless
		"ONIT_REDIS_KEY_PREFIX="+c.redisPrefix,
		"ONIT_ALLOWED_HOSTS=127.0.0.1",
		// Production's logging (info, JSON): one access line per request
		// is part of what a request costs, so it is measured too.
		"ONIT_LOG_LEVEL=info",
		"ONIT_LOG_FORMAT=json",
		"ONIT_METRICS_TOKEN="+c.metricsToken,
		// Every bench request comes from one address, where production has
		// many clients behind the load balancer; the per-client login limit
		// (100/min) would turn the login scenario into a 429 test.
		"ONIT_LOGIN_THROTTLE_CLIENT=100000000",
		// Likewise every bench login is the one seeded account, where a
		// production login storm is many accounts: the per-account limit
		// would answer the storm 429 before any password is hashed.
		"ONIT_LOGIN_THROTTLE_ACCOUNT=100000000",
		// Only shortens the end of the bench: nothing routes to this server.
		"ONIT_HTTP_SHUTDOWN_DELAY=0s",
	)
	if c.iterations > 0 {
		out = append(out, fmt.Sprintf("ONIT_PASSWORD_ITERATIONS=%d", c.iterations))
	}
	if pprof != "" {
		out = append(out, "ONIT_PPROF_ADDR="+pprof)
	}
	return out
}

// startServer runs `onit serve --migrate` and waits until /readyz is 200.
func startServer(ctx context.Context, c serverConfig) (*server, error) {
	addr, err := freeAddr(ctx)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	// Not bound to ctx: an interrupted bench still stops the server with
	// SIGTERM in its clean-up, rather than the SIGKILL CommandContext sends.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), c.bin, "serve", "--migrate")
	// Its own process group, so a Ctrl-C in the terminal reaches only the
	// harness, which then shuts the server down in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A temporary working directory: the binary reads ./.env, and the
	// developer's must not leak into the measurement.
	cmd.Dir = c.workDir
	pprof := ""
	if c.pprof {
		if pprof, err = freeAddr(ctx); err != nil {
			logFile.Close()
			return nil, err
		}
	}
	cmd.Env = serverEnv(os.Environ(), c, addr, pprof)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{
		cmd: cmd, base: "http://" + addr, metricsTok: c.metricsToken,
		exited: make(chan error, 1), logPath: c.logPath, logFile: logFile,
		stopTimeout: 40 * time.Second, readyPath: "/readyz", pprofAddr: pprof,
	}
	go func() { s.exited <- cmd.Wait() }()
	if err := s.waitReady(ctx, 90*time.Second); err != nil {
		_ = s.stop()
		return nil, fmt.Errorf("%w (server log: %s)", err, c.logPath)
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			s.exited <- err // stop() reads it again
			return fmt.Errorf("server exited during start-up: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+s.readyPath, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("server not ready within %s", limit)
}

// stop sends SIGTERM, as a deploy would, and kills the process only if it
// has not drained within stopTimeout.
func (s *server) stop() error {
	defer func() {
		s.logFile.Close()
		// The access lines (one per request, hundreds of MB in a full run)
		// were written so their cost is measured; what is kept is the rest.
		_ = dropAccessLines(s.logPath)
	}()
	select {
	case err := <-s.exited:
		return fmt.Errorf("server had already exited: %w", err)
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("server exit after SIGTERM: %w", err)
		}
		return nil
	case <-time.After(s.stopTimeout):
		_ = s.cmd.Process.Kill()
		werr := <-s.exited
		return fmt.Errorf("server did not exit within %s of SIGTERM; killed (%w)", s.stopTimeout, werr)
	}
}

// alive reports whether the server process is still running.
func (s *server) alive() bool {
	select {
	case err := <-s.exited:
		s.exited <- err
		return false
	default:
		return true
	}
}

// ceilingConfig is what the ceiling program is started with.
type ceilingConfig struct {
	workDir, logPath    string
	mysqlDSN, redisAddr string
	prefix              string // of the Redis GET ceiling's keys
}

// startCeiling runs this same executable as the ceiling program (see
// ceilingMain) and waits until it answers.
func startCeiling(ctx context.Context, c ceilingConfig) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr(ctx)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), self)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = c.workDir
	cmd.Env = append(os.Environ(), ceilingAddrVar+"="+addr, ceilingDSNVar+"="+c.mysqlDSN,
		ceilingRedisVar+"="+c.redisAddr, ceilingPrefixVar+"="+c.prefix)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, exited: make(chan error, 1), logPath: c.logPath, logFile: logFile,
		stopTimeout: 10 * time.Second, readyPath: "/json"}
	go func() { s.exited <- cmd.Wait() }()
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		_ = s.stop()
		return nil, fmt.Errorf("ceiling program: %w (log: %s)", err, c.logPath)
	}
	return s, nil
}

// dropAccessLines rewrites the server's JSON log without its per-request
// access lines ("msg":"request" at info); warnings, errors and the
// start-up and shutdown lines stay.
func dropAccessLines(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.Contains(line, []byte(`"level":"INFO","msg":"request"`)) {
			continue
		}
		// A bufio.Writer keeps its first error and returns it from Flush.
		_, _ = w.Write(line)
		_ = w.WriteByte('\n')
	}
	if err := errors.Join(sc.Err(), w.Flush(), out.Close()); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
