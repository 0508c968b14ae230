package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/env"
)

// Stdio is where a command reads and writes.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFailure  = 1 // the command ran and failed (or found errors)
	exitUsage    = 2 // bad arguments or settings
	exitInternal = 3
)

// command is one management command, in the spirit of Django's manage.py.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io Stdio) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":         {"run the HTTP server (--migrate applies migrations first)", runServe},
		"migrate":       {"apply or inspect migrations: up | down | status | create NAME [--go]", runMigrate},
		"settings":      {"print the effective settings, secrets redacted; ### marks non-defaults (--changed: only those)", runSettings},
		"clearsessions": {"delete expired sessions", runClearSessions},
		"version":       {"print the version and build information", runVersion},
		// Operations (bootstrap/check.go, users.go, dbstats.go).
		"check":           {"system checks; --deploy adds the deployment checklist (--format json, --fail-level)", runCheck},
		"createsuperuser": {"create a staff superuser (prompts, or --noinput with --email, --name, --password-stdin)", runCreateSuperuser},
		"changepassword":  {"set a user's password and revoke their sessions: EMAIL [--password-stdin]", runChangePassword},
		"dbstats":         {"MySQL server signals with thresholds and OK/WARN verdicts (--watch DURATION)", runDBStats},
		// The cutover from the Django backend (bootstrap/importdjango.go).
		"import": {"import django --source-dsn DSN: move the Django backend's users and live sessions over (--dry-run, --format json)", runImport},
	}
}

// Main runs the command named by args[0] and returns the process exit code.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdio.Out, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stdio.Err, "onit: unknown command %q\n\n", args[0])
		usage(stdio.Err, cmds)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], stdio)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: onit <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-15s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nSettings come from ONIT_* variables and ./.env; see README.md. `onit <command> --help` shows its flags.")
}

// newFlags makes a flag set whose errors and help go to stderr, consistently.
func newFlags(name, synopsis string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("onit "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		fmt.Fprintf(stdio.Err, "usage: onit %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and reports whether the command should go on; code is
// the exit code when it should not (help is not an error).
func parseFlags(fs *flag.FlagSet, args []string) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, exitOK
		}
		return false, exitUsage
	}
	return true, exitOK
}

// loadSettings reads settings, printing one clear line on failure.
func loadSettings(stdio Stdio) (env.Settings, bool) {
	s, err := env.Load(env.FromOS())
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return env.Settings{}, false
	}
	return s, true
}

func runSettings(_ context.Context, args []string, stdio Stdio) int {
	fs := newFlags("settings", "[--changed]", stdio)
	changed := fs.Bool("changed", false, "print only settings that differ from the environment's defaults")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	s, ok := loadSettings(stdio)
	if !ok {
		return exitUsage
	}
	fmt.Fprintf(stdio.Out, "# environment: %s\n", s.Env)
	if err := env.Print(stdio.Out, s, *changed); err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// Version is set at build time with -ldflags "-X github.com/onitapp/onit/bootstrap.Version=…".
var Version = "dev"

func runVersion(_ context.Context, args []string, stdio Stdio) int {
	fs := newFlags("version", "", stdio)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(stdio.Out, "onit %s\n", Version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(stdio.Out, "go %s\n", bi.GoVersion)
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") || s.Key == "-tags" {
				fmt.Fprintf(stdio.Out, "%s %s\n", s.Key, s.Value)
			}
		}
	}
	return exitOK
}

// prepare loads settings and, in development without servers, starts the
// embedded engines. On success code is exitOK and stop must be called.
func prepare(ctx context.Context, stdio Stdio) (s env.Settings, stop func(), code int) {
	s, ok := loadSettings(stdio)
	if !ok {
		return s, nil, exitUsage
	}
	stop, _, err := startEmbedded(ctx, &s)
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit: %v\n", err)
		return s, nil, exitUsage
	}
	return s, stop, exitOK
}

// openDatabase is prepare plus a MySQL pool, for the commands that need
// only the database. On success close releases both.
func openDatabase(ctx context.Context, stdio Stdio, cmd string, log *slog.Logger) (s env.Settings, db *bun.DB, close func(), code int) {
	s, stop, code := prepare(ctx, stdio)
	if code != exitOK {
		return s, nil, nil, code
	}
	if log == nil {
		log = NewLogger(s.Log, stdio.Err)
	}
	openCtx, cancel := context.WithTimeout(ctx, s.MySQL.DialTimeout+s.MySQL.QueryTimeout)
	defer cancel()
	db, err := mysql.Open(openCtx, s.MySQL, log, nil)
	if err != nil {
		stop()
		fmt.Fprintf(stdio.Err, "onit %s: %v\n", cmd, err)
		return s, nil, nil, exitFailure
	}
	return s, db, func() { _ = db.Close(); stop() }, exitOK
}
