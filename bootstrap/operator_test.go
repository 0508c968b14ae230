package bootstrap

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
)

// production is the environment of a production instance on the test
// servers: plain connections (the CI servers have no TLS or cluster).
func production(environ map[string]string) map[string]string {
	return with(environ, "ONIT_ENV", "production", "ONIT_SECRET_KEY", "q8V3r!Zp0sL2mX7#tB9wK4yN6cJ1hF5gD0aS8eR3uI7oP2lQ9v",
		"ONIT_MYSQL_TLS", "false", "ONIT_REDIS_TLS", "false", "ONIT_REDIS_CLUSTER", "false",
		"ONIT_REDIS_DISABLE_IDENTITY", "false", "ONIT_HTTP_ADDR", "127.0.0.1:0",
		"ONIT_HTTP_SHUTDOWN_DELAY", "200ms")
}

// oneReadableLine checks a start-up failure as the operator reads it.
func oneReadableLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line on stderr, got %d:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("line lacks %q: %s", w, lines[0])
		}
	}
	for _, bad := range []string{"topsecret", ".go:", "error.unavailable", "bootstrap.", "fx.", "stack"} {
		if strings.Contains(lines[0], bad) {
			t.Errorf("line shows %q: %s", bad, lines[0])
		}
	}
}

// An unreachable database stops start-up with one line naming it (host
// and port, never the password) and the setting to check; exit status 1.
// dbstats, migrate and import fail the same way.
func TestUnreachableDatabase(t *testing.T) {
	environ, _ := opsEnv(t)
	port := closedPort(t)
	down := with(production(environ), "ONIT_MYSQL_DSN", "onit:topsecret@tcp("+port+")/onit", "ONIT_MYSQL_DIAL_TIMEOUT", "1s")
	for _, args := range [][]string{{"serve"}, {"dbstats"}, {"migrate", "status"},
		{"import", "django", "--source-dsn", "reader:pw@tcp(127.0.0.1:1)/onitweb"}} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := runCLI(t, down, args...)
			if code != cli.ExitFailure {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			oneReadableLine(t, errOut, "onit "+args[0]+": ", "MySQL at "+port, "does not answer", "connection refused", "ONIT_MYSQL_DSN")
		})
	}
}

// Every invalid setting is in the one report, exit status 2.
func TestTwoBadSettingsBothReported(t *testing.T) {
	for _, cmd := range []string{"serve", "settings"} {
		t.Run(cmd, func(t *testing.T) {
			code, _, errOut := runCLI(t, map[string]string{"ONIT_MYSQL_MAX_OPEN_CONNS": "lots", "ONIT_LOG_FORMAT": "xml"}, cmd)
			if code != cli.ExitUsage {
				t.Fatalf("exit %d, want 2: %s", code, errOut)
			}
			for _, want := range []string{"2 invalid settings", "ONIT_MYSQL_MAX_OPEN_CONNS: not a valid int", "ONIT_LOG_FORMAT: unknown format \"xml\""} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
		})
	}
}

// A mistyped ONIT_* variable is warned about with the name it most
// likely means, and the command still runs.
func TestTypoWarnedWithClosestName(t *testing.T) {
	code, out, errOut := runCLI(t, map[string]string{"ONIT_MYSQL_DNS": "u:p@tcp(db:3306)/onit"}, "settings")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "ONIT_MYSQL_DNS is not a setting Onit reads; did you mean ONIT_MYSQL_DSN?") {
		t.Errorf("no warning naming the closest variable:\n%s", errOut)
	}
	if !strings.Contains(out, "ONIT_MYSQL_DSN=\n") {
		t.Errorf("the typo must not set ONIT_MYSQL_DSN:\n%s", out)
	}
}

// In development without a database, the commands that act on one refuse
// instead of using an embedded engine that starts empty and vanishes.
func TestDevelopmentCommandsRefuseWithoutDatabase(t *testing.T) {
	environ := map[string]string{"ONIT_ENV": "development", "ONIT_MYSQL_DSN": "", "ONIT_MYSQL_HOST": "", "ONIT_REDIS_ADDRS": ""}
	for _, args := range [][]string{
		{"createsuperuser", "--noinput", "--email", "root@example.com", "--name", "Root", "--password-stdin"},
		{"changepassword", "root@example.com", "--password-stdin"},
		{"clearsessions"},
		{"revokesessions", "root@example.com"},
		{"housekeeping"},
		{"migrate", "up"},
		{"migrate", "status"},
		{"dbstats"},
		{"import", "django", "--source-dsn", "reader:pw@tcp(127.0.0.1:1)/onitweb"},
	} {
		t.Run(strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
			code, out, errOut := runCLIInput(t, environ, "correct horse battery staple\n", args...)
			if code != cli.ExitUsage {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if out != "" {
				t.Errorf("stdout should be empty, got %q", out)
			}
			want := []string{"ONIT_MYSQL_DSN", "not set"}
			if embeddedAvailable {
				want = append(want, "an embedded engine would start empty")
			}
			oneReadableLine(t, errOut, want...)
		})
	}
}

// In production every log line, from settings warnings through start-up,
// migrations, requests and the drain to the exit, is one JSON object.
func TestProductionLogsAreJSON(t *testing.T) {
	environ, _ := opsEnv(t)
	environ = with(production(environ), "ONIT_MYSQL_DSN", mysqltest.DSN(t), // empty: --migrate logs each migration
		"ONIT_UNKNOWN_SETTING", "x", "ONIT_LOG_LEVEL", "debug") // debug: fx's own lines too
	for k, v := range environ {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir())
	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--migrate"}, cli.Stdio{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	}()
	addr := waitForAddr(t, &stderr, done)
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/healthz", ""}, {"GET", "/readyz", ""}, {"GET", "/nowhere", ""},
		{"POST", "/api/v1/auth/login", `{"email":"nobody@example.com","password":"wrong password"}`},
	} {
		r, err := http.NewRequestWithContext(context.Background(), req.method, "http://"+addr+req.path, strings.NewReader(req.body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if stdout.String() != "" {
		t.Errorf("stdout of serve should be empty, got:\n%s", stdout.String())
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not JSON: %s", line)
			continue
		}
		msg, _ := rec["msg"].(string)
		seen[msg] = true
		if _, ok := rec["duration"]; ok {
			t.Errorf("a duration without its unit: %s", line)
		}
		if msg == "request" && rec["path"] == "/api/v1/auth/login" {
			if _, ok := rec["duration_ms"].(float64); !ok || rec["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Errorf("request line lacks duration_ms or trace_id: %s", line)
			}
		}
		if msg == "request" && (rec["path"] == "/healthz" || rec["path"] == "/readyz") && rec["level"] != "DEBUG" {
			t.Errorf("probe logged above debug: %s", line)
		}
	}
	for _, want := range []string{
		"ONIT_UNKNOWN_SETTING is not a setting Onit reads", "migration starting", "migration applied", "onit is up",
		"request", "stop signal received, draining", "draining: readiness is now 503, still serving",
		"draining: listener closed, waiting for in-flight requests", "draining: done, no request in flight",
		"closing the MySQL pool", "stopped",
	} {
		if !seen[want] {
			t.Errorf("no %q line; got:\n%s", want, stderr.String())
		}
	}
}

// lockedBuffer is written by the server's goroutines while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitForAddr reads the bound address from the "onit is up" line.
func waitForAddr(t *testing.T, logs *lockedBuffer, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, logs.String())
		default:
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "onit is up" {
				return rec.Addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no \"onit is up\" line within a minute:\n%s", logs.String())
	return ""
}
