package cli

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/migrations"
)

// fakeBackend records what the commands asked for.
type fakeBackend struct {
	Backend // unimplemented methods panic: a command called what it must not
	served  *bool
	migrate *bool
	up      []migrations.Progress
}

func (f fakeBackend) Serve(_ context.Context, migrate bool) error {
	*f.served, *f.migrate = true, migrate
	return nil
}

func (f fakeBackend) PrintSettings(w io.Writer, onlyChanged bool) error {
	_, err := io.WriteString(w, "ONIT_ENV=test\n")
	return err
}

func (f fakeBackend) Migrations(context.Context) (Migrator, func(), error) {
	return fakeMigrator(f), func() {}, nil
}

type fakeMigrator fakeBackend

func (m fakeMigrator) UpWithProgress(_ context.Context, progress func(migrations.Progress)) ([]migrations.Result, error) {
	var res []migrations.Result
	for _, p := range m.up {
		progress(p)
		if p.Done {
			res = append(res, migrations.Result{Version: p.Version, Name: p.Name})
		}
	}
	return res, nil
}

func (fakeMigrator) Down(context.Context) (migrations.Result, error) {
	return migrations.Result{}, migrations.ErrNothingToRollBack
}

func (fakeMigrator) Status(context.Context) ([]migrations.Status, error) {
	return nil, errors.New("unused")
}

func run(t *testing.T, b Backend, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = New(b).Main(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		code             int
		wantOut, wantErr string
		served, migrate  bool
	}{
		{name: "help on stdout", args: []string{"help"}, code: ExitOK, wantOut: "Commands:\n"},
		{name: "--help on stdout", args: []string{"--help"}, code: ExitOK, wantOut: "  serve "},
		{name: "command help on stdout", args: []string{"serve", "--help"}, code: ExitOK, wantOut: "      --migrate"},
		{name: "help COMMAND", args: []string{"help", "dbstats"}, code: ExitOK, wantOut: "--watch duration"},
		{name: "no command is bad usage", args: nil, code: ExitUsage, wantErr: "Usage: onit <command>"},
		{name: "unknown command", args: []string{"frobnicate"}, code: ExitUsage, wantErr: `unknown command "frobnicate"`},
		{name: "extra argument refused", args: []string{"serve", "now"}, code: ExitUsage, wantErr: `onit serve: unexpected argument "now"`},
		{name: "single-dash long flag refused", args: []string{"serve", "-migrate"}, code: ExitUsage, wantErr: "onit serve: unknown shorthand flag"},
		{name: "unknown flag", args: []string{"settings", "--colour"}, code: ExitUsage, wantErr: "unknown flag: --colour"},
		{name: "serve", args: []string{"serve"}, code: ExitOK, served: true},
		{name: "serve --migrate", args: []string{"serve", "--migrate"}, code: ExitOK, served: true, migrate: true},
		{name: "flags after arguments", args: []string{"migrate", "create", "x", "--go", "--dir"}, code: ExitUsage, wantErr: "flag needs an argument: --dir"},
		{name: "migrate unknown action", args: []string{"migrate", "sideways"}, code: ExitUsage, wantErr: `unknown action "sideways"`},
		{name: "migrate up extra", args: []string{"migrate", "up", "now"}, code: ExitUsage, wantErr: `unexpected argument "now"`},
		{name: "check format", args: []string{"check", "--format", "yaml"}, code: ExitUsage, wantErr: `unknown format "yaml"`},
		{name: "dbstats interval", args: []string{"dbstats", "--interval", "0s"}, code: ExitUsage, wantErr: "--interval must be positive"},
		{name: "createsuperuser noinput", args: []string{"createsuperuser", "--noinput"}, code: ExitUsage, wantErr: "--noinput needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served, migrate bool
			code, out, errOut := run(t, fakeBackend{served: &served, migrate: &migrate}, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ⊇ %q, stderr ⊇ %q", code, tt.code, out, errOut, tt.wantOut, tt.wantErr)
			}
			if tt.code == ExitOK && tt.wantOut != "" && errOut != "" {
				t.Errorf("help wrote to stderr: %s", errOut)
			}
			if served != tt.served || migrate != tt.migrate {
				t.Errorf("served %v migrate %v, want %v %v", served, migrate, tt.served, tt.migrate)
			}
		})
	}
}

func TestMigrateUpPrintsEachMigration(t *testing.T) {
	b := fakeBackend{up: []migrations.Progress{
		{Version: 1, Name: "00001_accounts.sql"},
		{Version: 1, Name: "00001_accounts.sql", Done: true, Duration: 12 * time.Millisecond, Rows: -1},
		{Version: 10, Name: "00010_normalise_email_keys.go"},
		{Version: 10, Name: "00010_normalise_email_keys.go", Done: true, Duration: 3 * time.Second, Rows: 1500},
	}}
	code, out, errOut := run(t, b, "migrate", "up")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "applying 00001 00001_accounts.sql …\n" +
		"applied  00001 00001_accounts.sql in 12ms\n" +
		"applying 00010 00010_normalise_email_keys.go …\n" +
		"applied  00010 00010_normalise_email_keys.go in 3s, 1500 rows changed\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if code, out, _ := run(t, fakeBackend{}, "migrate", "down"); code != ExitOK || out != "no migration to roll back\n" {
		t.Errorf("down with nothing applied: %d %q", code, out)
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	var b strings.Builder
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "6712c39a0b1c"}, {Key: "vcs.time", Value: "2026-12-05T09:00:00Z"},
		{Key: "vcs.modified", Value: "true"}, {Key: "-tags", Value: "devengines"},
	}})
	if want := "onit 6712c39a0b1c (2026-12-05T09:00:00Z) with uncommitted changes\nbuilt with go1.26.8, tags devengines\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8"})
	if !strings.HasPrefix(b.String(), "onit (built without VCS information") {
		t.Errorf("without VCS stamp: %q", b.String())
	}
}
