package bootstrap

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
)

// deployReady are the settings that pass `onit check --deploy` against the
// test servers, except what cannot hold there (TLS, cluster: the CI
// servers have neither), which is silenced.
var deployReady = []string{
	"ONIT_SECRET_KEY", "q8V3r!Zp0sL2mX7#tB9wK4yN6cJ1hF5gD0aS8eR3uI7oP2lQ9v",
	"ONIT_ALLOWED_HOSTS", "onit.example.com",
	"ONIT_HSTS_SECONDS", "31536000", "ONIT_HSTS_INCLUDE_SUBDOMAINS", "true", "ONIT_HSTS_PRELOAD", "true",
	"ONIT_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "ONIT_TRUSTED_PROXIES", "10.0.0.0/16",
	"ONIT_SESSION_COOKIE_SECURE", "true",
	"ONIT_LOG_FORMAT", "json",
	"ONIT_METRICS_ADDR", ":9090",
	"ONIT_EMAIL_HOST", "email-smtp.eu-west-1.amazonaws.com", "ONIT_PUBLIC_URL", "https://onit.example.com",
	"ONIT_SILENCED_CHECKS", "onit.W052,onit.W053,onit.W054",
}

func closedPort(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestCheckCommand(t *testing.T) {
	environ, db := opsEnv(t)
	deploy := with(environ, deployReady...)
	silenced := "3 silenced"
	if mysqltest.Embedded(db) {
		// The embedded engine is what E060 exists to catch; it also has
		// no real sql_mode or max_connections.
		environ = with(environ, "ONIT_SILENCED_CHECKS", "onit.E060")
		deploy = with(deploy, "ONIT_SILENCED_CHECKS", "onit.W052,onit.W053,onit.W054,onit.E060,onit.W051,onit.W056")
		silenced = "4 silenced"
	}
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		code    int
		wantOut string
		wantErr string
	}{
		{name: "system checks pass", environ: environ, code: cli.ExitOK, wantOut: "System check identified no issues (0 silenced)."},
		{name: "deploy checklist passes with production settings", environ: deploy, args: []string{"--deploy"}, code: cli.ExitOK,
			wantOut: "System check identified no issues (" + silenced + ")."},
		{name: "deploy warnings do not fail by default", environ: environ, args: []string{"--deploy"}, code: cli.ExitOK,
			wantOut: "?: (onit.W004) ONIT_HSTS_SECONDS is 0"},
		{name: "fail level warning", environ: environ, args: []string{"--deploy", "--fail-level", "WARNING"}, code: cli.ExitFailure,
			wantErr: "SystemCheckError: System check identified some issues:"},
		{name: "silenced warnings are counted, not shown", environ: with(deploy, "ONIT_DEBUG", "true", "ONIT_SILENCED_CHECKS", "onit.W018,onit.W052,onit.W053,onit.W054,onit.E060,onit.W051,onit.W056"),
			args: []string{"--deploy", "--fail-level", "warning"}, code: cli.ExitOK, wantOut: "identified no issues"},
		{name: "pool budget error fails", environ: with(deploy, "ONIT_MYSQL_MAX_OPEN_CONNS", "30"), args: []string{"--deploy"}, code: cli.ExitFailure,
			wantErr: "?: (onit.E055)"},
		{name: "MySQL down", environ: with(environ, "ONIT_MYSQL_DSN", "u:p@tcp("+closedPort(t)+")/onit", "ONIT_MYSQL_DIAL_TIMEOUT", "1s"),
			code: cli.ExitFailure, wantErr: "?: (onit.E041) MySQL does not answer"},
		{name: "Redis down", environ: with(environ, "ONIT_REDIS_ADDRS", closedPort(t), "ONIT_REDIS_DIAL_TIMEOUT", "1s"),
			code: cli.ExitFailure, wantErr: "?: (onit.E042) Redis does not answer"},
		{name: "unknown language", environ: with(environ, "ONIT_LANGUAGE_CODE", "pt"), code: cli.ExitFailure, wantErr: "(onit.E045)"},
		{name: "settings do not parse", environ: with(environ, "ONIT_MYSQL_MAX_OPEN_CONNS", "lots"), code: cli.ExitFailure,
			wantErr: "?: (onit.E040) setting ONIT_MYSQL_MAX_OPEN_CONNS"},
		{name: "bad format", environ: environ, args: []string{"--format", "yaml"}, code: cli.ExitUsage, wantErr: "unknown format"},
		{name: "bad fail level", environ: environ, args: []string{"--fail-level", "fatal"}, code: cli.ExitUsage, wantErr: "unknown level"},
		{name: "stray argument", environ: environ, args: []string{"deploy"}, code: cli.ExitUsage, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.environ, append([]string{"check"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ⊇ %q, stderr ⊇ %q", code, tt.code, out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	environ, _ := opsEnv(t)
	code, out, errOut := runCLI(t, with(environ, "ONIT_SILENCED_CHECKS", "onit.W004"), "check", "--deploy", "--format", "json", "--fail-level", "warning")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	var res struct {
		Issues []struct {
			ID     string `json:"id"`
			Level  string `json:"level"`
			Django string `json:"django_id"`
		} `json:"issues"`
		Silenced int  `json:"silenced"`
		Failed   bool `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	byID := map[string]string{}
	for _, i := range res.Issues {
		byID[i.ID] = i.Django
	}
	if _, ok := byID["onit.W004"]; ok || res.Silenced != 1 || !res.Failed {
		t.Errorf("silencing or failure wrong: %+v", res)
	}
	if byID["onit.W009"] != "security.W009" || byID["onit.W059"] != "" {
		t.Errorf("Django IDs wrong: %v", byID)
	}
}
