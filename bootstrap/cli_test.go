package bootstrap

import (
	"context"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/cli"
)

func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range environ {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir()) // no stray .env
	var out, errb strings.Builder
	code = Main(context.Background(), args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	tests := []struct {
		name       string
		environ    map[string]string
		args       []string
		code       int
		wantOut    string
		wantErr    string
		notInOuput string
	}{
		{name: "no command", args: nil, code: cli.ExitUsage, wantErr: "Usage: onit <command>"},
		{name: "help", args: []string{"help"}, code: cli.ExitOK, wantOut: "clearsessions"},
		{name: "unknown command", args: []string{"frobnicate"}, code: cli.ExitUsage, wantErr: `unknown command "frobnicate"`},
		{name: "settings redacts", environ: map[string]string{"ONIT_SECRET_KEY": "super-secret-value", "ONIT_HTTP_ADDR": ":9090"}, args: []string{"settings"}, code: cli.ExitOK, wantOut: "ONIT_HTTP_ADDR=:9090  ###", notInOuput: "super-secret-value"},
		{name: "settings --changed", environ: map[string]string{"ONIT_HTTP_ADDR": ":9090"}, args: []string{"settings", "--changed"}, code: cli.ExitOK, wantOut: "ONIT_HTTP_ADDR", notInOuput: "ONIT_LOG_FORMAT"},
		{name: "invalid setting names the variable", environ: map[string]string{"ONIT_MYSQL_MAX_OPEN_CONNS": "lots"}, args: []string{"settings"}, code: cli.ExitUsage, wantErr: "ONIT_MYSQL_MAX_OPEN_CONNS"},
		{name: "production needs a secret", environ: map[string]string{"ONIT_ENV": "production"}, args: []string{"serve"}, code: cli.ExitUsage, wantErr: "ONIT_SECRET_KEY"},
		{name: "unknown flag", args: []string{"settings", "--colour"}, code: cli.ExitUsage, wantErr: "unknown flag: --colour"},
		{name: "command help", args: []string{"migrate", "--help"}, code: cli.ExitOK, wantOut: "Usage: onit migrate up | down | status | create NAME [--go]"},
		{name: "migrate without action", args: []string{"migrate"}, code: cli.ExitUsage, wantErr: "Usage: onit migrate"},
		{name: "version", args: []string{"version"}, code: cli.ExitOK, wantOut: "onit "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.environ, tt.args...)
			if code != tt.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
			if tt.notInOuput != "" && strings.Contains(out+errOut, tt.notInOuput) {
				t.Errorf("output contains %q", tt.notInOuput)
			}
		})
	}
}
