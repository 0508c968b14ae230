package faulttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

// The app's database account. It is deliberately not SUPER (nor READ_ONLY
// ADMIN): such an account ignores read_only, and the read-only test would
// prove nothing.
const (
	appUser     = "onit"
	appPassword = "onit-fault-pass"
	appDatabase = "onit"
	metricsTok  = "fault-metrics-token"
)

// shared holds what every test of the package reuses: the binary, built
// once, and a MariaDB data directory, initialised once and copied per test
// (copying 30 MB is much faster than mariadb-install-db).
var shared struct {
	once     sync.Once
	dir      string
	bin      string
	template string
	err      error
	tools    tools
}

// tools are the service binaries the suite runs.
type tools struct{ mariadbd, installDB, redisServer string }

func TestMain(m *testing.M) {
	// The admin pools see their server killed on purpose; the driver's
	// "broken pipe" and "unexpected EOF" lines would only be noise.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	code := m.Run()
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// findTool looks name up on the PATH and then in /usr/sbin, where Debian
// puts mariadbd.
func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join("/usr/sbin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	return ""
}

// prepare skips the test under -short or without the service binaries
// (failing instead when ONIT_TEST_REQUIRE_SERVICES is set), and builds the
// shared binary and data directory on first use.
func prepare(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start MariaDB, Redis and the onit binary; skipped with -short")
	}
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatalf("reading test services: %v", err)
	}
	tl := tools{mariadbd: findTool("mariadbd"), installDB: findTool("mariadb-install-db"), redisServer: findTool("redis-server")}
	var missing []string
	for name, p := range map[string]string{"mariadbd": tl.mariadbd, "mariadb-install-db": tl.installDB, "redis-server": tl.redisServer} {
		if p == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		msg := fmt.Sprintf("fault tests need %s on the PATH or in /usr/sbin", strings.Join(missing, ", "))
		if ts.Require {
			t.Fatal(msg + " (ONIT_TEST_REQUIRE_SERVICES is set)")
		}
		t.Skip(msg)
	}
	shared.once.Do(func() {
		shared.tools = tl
		shared.err = setupShared()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
}

func setupShared() error {
	dir, err := os.MkdirTemp("", "onit-faulttest-")
	if err != nil {
		return err
	}
	shared.dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The production binary: no embedded engines, exactly what deploys.
	shared.bin = filepath.Join(dir, "onit")
	build := exec.CommandContext(ctx, "go", "build", "-o", shared.bin, "github.com/onitapp/onit/bootstrap/cmd/onit")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build onit: %w\n%s", err, out)
	}
	shared.template = filepath.Join(dir, "template")
	// A tmpdir of its own, as for every server here: a starting mariadbd
	// (the installer's too) deletes every #sql* file in its tmpdir, and in
	// the default /tmp those are the on-disk temporary tables of the
	// shared server that the other suites query at the same moment.
	installTmp := filepath.Join(dir, "install-tmp")
	if err := os.MkdirAll(installTmp, 0o700); err != nil {
		return err
	}
	args := []string{"--no-defaults", "--datadir=" + shared.template, "--tmpdir=" + installTmp, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	install := exec.CommandContext(ctx, shared.tools.installDB, args...)
	if out, err := install.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	// Create the app's account and database once, in the template.
	m, err := launchMariaDB(ctx, shared.template, dir)
	if err != nil {
		return err
	}
	defer func() { _ = m.kill() }()
	db, err := m.open()
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE " + appDatabase + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", appUser, appPassword),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON %s.* TO '%s'@'127.0.0.1'", appDatabase, appUser),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("template: %s: %w", q, err)
		}
	}
	// A clean shutdown, so the copies start without crash recovery.
	if _, err := db.ExecContext(ctx, "SHUTDOWN"); err != nil {
		return fmt.Errorf("template: shutdown: %w", err)
	}
	select {
	case <-m.exited:
	case <-ctx.Done():
		return errors.New("template: mariadbd did not shut down")
	}
	return nil
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ---- MariaDB ----

// mariaDB is one private server process; kill and start may alternate.
type mariaDB struct {
	datadir, sock, logPath string
	port                   int
	mu                     sync.Mutex
	cmd                    *exec.Cmd
	exited                 chan struct{}
	admin                  *sql.DB
	extra                  []string // more mariadbd options (replication)
}

// startMariaDB copies the template data directory and starts a server on
// a spare port; it is killed when the test ends.
func startMariaDB(t *testing.T, extra ...string) *mariaDB {
	t.Helper()
	dir := t.TempDir()
	datadir := filepath.Join(dir, "data")
	if out, err := exec.CommandContext(context.Background(), "cp", "-a", shared.template, datadir).CombinedOutput(); err != nil {
		t.Fatalf("copy data directory: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := &mariaDB{datadir: datadir, sock: filepath.Join(dir, "mysqld.sock"), logPath: filepath.Join(dir, "mariadb.log"), port: freePort(t), extra: extra}
	if err := m.start(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := m.open()
	if err != nil {
		t.Fatal(err)
	}
	m.admin = admin
	t.Cleanup(func() {
		_ = admin.Close()
		_ = m.kill()
		if t.Failed() {
			if b, err := os.ReadFile(m.logPath); err == nil {
				t.Logf("mariadb log (tail):\n%s", tail(string(b), 3000))
			}
		}
	})
	return m
}

// launchMariaDB starts mariadbd on datadir with its socket in runDir and a
// spare port, for the template.
func launchMariaDB(ctx context.Context, datadir, runDir string) (*mariaDB, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	m := &mariaDB{datadir: datadir, sock: filepath.Join(runDir, "template.sock"), logPath: filepath.Join(runDir, "template.log"), port: port}
	return m, m.start(ctx)
}

// start runs mariadbd and waits until it answers on its socket.
func (m *mariaDB) start(ctx context.Context) error {
	// Its own tmpdir: at start mariadbd deletes every #sql* file there,
	// which in the default /tmp would include the shared server's on-disk
	// temporary tables in use by other tests.
	tmp := filepath.Join(filepath.Dir(m.sock), "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	args := []string{"--no-defaults", "--datadir=" + m.datadir, "--tmpdir=" + tmp, "--socket=" + m.sock,
		"--port=" + strconv.Itoa(m.port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file=" + filepath.Join(filepath.Dir(m.sock), "mariadb.pid"), "--log-error=" + m.logPath,
		"--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M", "--skip-log-bin",
		"--performance-schema=OFF", "--max-connections=200", "--innodb-flush-log-at-trx-commit=1",
		"--innodb-lock-wait-timeout=30"}
	for _, e := range m.extra {
		if strings.HasPrefix(e, "--log-bin") {
			args = slices.DeleteFunc(args, func(a string) bool { return a == "--skip-log-bin" })
		}
	}
	args = append(args, m.extra...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	// Not CommandContext: the process outlives this call; kill ends it.
	cmd := exec.Command(shared.tools.mariadbd, args...) //nolint:noctx // lifetime managed by kill
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mariadbd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	m.mu.Lock()
	m.cmd, m.exited = cmd, exited
	m.mu.Unlock()
	db, err := m.open()
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(m.logPath)
			return fmt.Errorf("mariadbd exited at start:\n%s", tail(string(b), 3000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd not answering after 30s: %w", err)
		}
	}
}

// open returns a root pool over the unix socket (root may only log in
// from localhost, which the socket is).
func (m *mariaDB) open() (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", m.sock
	cfg.Timeout = 2 * time.Second
	cfg.ParseTime = true
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// mustOpen is open for a test helper: a failure ends the test.
func (m *mariaDB) mustOpen(t testing.TB) *sql.DB {
	t.Helper()
	db, err := m.open()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// kill sends SIGKILL and waits for the process to be gone.
func (m *mariaDB) kill() error {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("mariadbd did not die after SIGKILL")
	}
}

// appDSN is the app's DSN: the non-SUPER account over TCP.
func (m *mariaDB) appDSN() string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", appUser, appPassword, m.port, appDatabase)
}

// ---- Redis ----

// redisServer is one private Redis process with an append-only file, so a
// restart brings back the data it had (as a promoted replica would).
type redisServer struct {
	dir    string
	port   int
	extra  []string // more redis-server arguments (cluster mode)
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	client *redis.Client
}

func startRedis(t *testing.T, extra ...string) *redisServer {
	t.Helper()
	r := &redisServer{dir: t.TempDir(), port: freePort(t), extra: extra}
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	r.client = redis.NewClient(&redis.Options{Addr: r.addr(), DialTimeout: time.Second, MaxRetries: -1})
	t.Cleanup(func() {
		_ = r.client.Close()
		r.kill()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(r.dir, "redis.log")); err == nil {
				t.Logf("redis log (tail):\n%s", tail(string(b), 2000))
			}
		}
	})
	return r
}

func (r *redisServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// start runs redis-server and waits for its PING.
func (r *redisServer) start() error {
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--logfile", filepath.Join(r.dir, "redis.log"), "--daemonize", "no"}, r.extra...)
	cmd := exec.Command(shared.tools.redisServer, args...) //nolint:noctx // lifetime managed by kill
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: r.addr(), DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited at start")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server not answering after 20s: %w", err)
		}
	}
}

func (r *redisServer) kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
	}
}

// ---- onit ----

// onitProc is the onit binary serving on a spare port.
type onitProc struct {
	addr   string
	cmd    *exec.Cmd
	out    *onittest.LogBuffer
	exited chan struct{}
	err    error // the exit status, valid once exited is closed
}

// baseSettings are production defaults made to run on loopback without TLS,
// with timeouts short enough for a test and logins cheap enough for load.
func baseSettings(m *mariaDB, r *redisServer, addr string) map[string]string {
	return map[string]string{
		"ONIT_ENV":                    "production",
		"ONIT_SECRET_KEY":             "fault-test-secret-9f8e7d6c5b4a3928171605f4e3d2c1b0a9f8e7d6c5b4a39281716",
		"ONIT_HTTP_ADDR":              addr,
		"ONIT_ALLOWED_HOSTS":          "127.0.0.1",
		"ONIT_MYSQL_DSN":              m.appDSN(),
		"ONIT_MYSQL_TLS":              "false",
		"ONIT_MYSQL_DIAL_TIMEOUT":     "1s",
		"ONIT_MYSQL_QUERY_TIMEOUT":    "5s",
		"ONIT_REDIS_ADDRS":            r.addr(),
		"ONIT_REDIS_TLS":              "false",
		"ONIT_REDIS_CLUSTER":          "false",
		"ONIT_HTTP_REQUEST_TIMEOUT":   "2s",
		"ONIT_HTTP_SHUTDOWN_DELAY":    "500ms",
		"ONIT_HTTP_SHUTDOWN_TIMEOUT":  "20s",
		"ONIT_PASSWORD_ITERATIONS":    "1000",
		"ONIT_LOGIN_THROTTLE_CLIENT":  "100000",
		"ONIT_LOGIN_THROTTLE_ACCOUNT": "1000",
		"ONIT_METRICS_TOKEN":          metricsTok,
		"ONIT_LOG_LEVEL":              "info",
	}
}

// startOnit runs `onit serve --migrate` with settings and waits for
// /readyz; the process is killed when the test ends and its output is
// shown when the test failed.
func startOnit(t *testing.T, settings map[string]string) *onitProc {
	t.Helper()
	cmd := exec.Command(shared.bin, "serve", "--migrate") //nolint:noctx // lifetime managed by the test
	cmd.Dir = t.TempDir()                                 // no stray .env
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &onitProc{addr: settings["ONIT_HTTP_ADDR"], cmd: cmd, out: &onittest.LogBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("onit output (tail):\n%s", tail(p.out.String(), 6000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("onit exited at start: %v\n%s", p.err, p.out.String())
		default:
		}
		if status(p.addr, "/readyz") == http.StatusOK {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("onit not ready within 60s")
	return nil
}

// checkNoPanic fails the test if the server logged a panic.
func (p *onitProc) checkNoPanic(t *testing.T) {
	t.Helper()
	if out := p.out.String(); strings.Contains(strings.ToLower(out), "panic") {
		i := strings.Index(strings.ToLower(out), "panic")
		t.Errorf("the server logged a panic: …%s…", out[max(0, i-300):min(len(out), i+1500)])
	}
}

// status is the status of a GET on a fresh connection, 0 when none came.
func status(addr, path string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
