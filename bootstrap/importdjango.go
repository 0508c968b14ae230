package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"go.uber.org/fx"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/onitapp/onit/adapters/djangohash"
	"github.com/onitapp/onit/adapters/djangosession"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/progress"
	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/app/cutover"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

const importSynopsis = "django (--source-dsn DSN | --source-dsn-file F) [--secret-key-file F] [--dry-run] [--batch N] " +
	"[--users-table T] [--sessions-table T] [--map FILE|LIST] [--format text|json] [--restart]"

// importRequest is a parsed `onit import django` command line.
type importRequest struct {
	dsn    string
	keys   []string // SECRET_KEY then SECRET_KEY_FALLBACKS; none: no sessions
	source mysql.DjangoSourceConfig
	batch  int
	format string
	opts   cutover.Options
}

// runImport is `onit import django`: it moves the Django backend's users
// and live sessions into Onit (see app/cutover and the README's "Moving
// from onitweb"). The report goes to standard output, progress to
// standard error.
func runImport(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 || args[0] != "django" {
		fmt.Fprintf(stdio.Err, "usage: onit import %s\n", importSynopsis)
		return exitUsage
	}
	req, ok, code := parseImport(args[1:], stdio)
	if !ok {
		return code
	}
	var (
		uow   ports.UnitOfWork
		repos ports.Repos
		cache ports.SessionCache
		revs  *redisstore.Revocations
		clock ports.Clock
		log   *slog.Logger
		mcfg  env.MySQL
		pcfg  env.Password
		icfg  env.I18n
	)
	var report cutover.Report
	var verifyFailed bool
	code = withApp(ctx, stdio, func(ctx context.Context) error {
		src, err := mysql.OpenDjangoSource(ctx, req.dsn, mcfg, req.source, log)
		if err != nil {
			return err
		}
		defer src.Close()
		var codec ports.DjangoSessionCodec
		if len(req.keys) > 0 {
			c, err := djangosession.New(req.keys[0], req.keys[1:]...)
			if err != nil {
				return err
			}
			codec = c
		}
		im := cutover.New(cutover.Config{BatchSize: req.batch, DefaultLanguage: icfg.LanguageCode},
			src, codec, djangohash.New(pcfg.Iterations), uow, repos, cache, revs, clock, log)
		report, err = im.Run(ctx, req.opts, progress.New(stdio.Err, isTerminal(stdio.Err)))
		if err != nil {
			return describeImportError(err)
		}
		verifyFailed = len(report.Verification.Problems) > 0
		if req.format == "json" {
			return writeImportJSON(stdio.Out, report)
		}
		return writeImportText(stdio.Out, report)
	}, fx.Populate(&uow, &repos, &cache, &revs, &clock, &log, &mcfg, &pcfg, &icfg))
	if code == exitOK && verifyFailed {
		fmt.Fprintln(stdio.Err, "onit import django: the verification pass found problems (see the report)")
		return exitFailure
	}
	return code
}

// parseImport parses the flags; ok is false when the command should stop
// with code (help is not an error).
func parseImport(args []string, stdio Stdio) (req importRequest, ok bool, code int) {
	fs := newFlags("import", importSynopsis, stdio)
	dsn := fs.String("source-dsn", "", "go-sql-driver DSN of the Django database (user:pass@tcp(host:3306)/onitweb); TLS follows ONIT_MYSQL_TLS and ONIT_MYSQL_TLS_CA_FILE")
	dsnFile := fs.String("source-dsn-file", "", "read the DSN from this file instead (keeps the password out of the process list)")
	keyFile := fs.String("secret-key-file", "", "file with Django's SECRET_KEY on its first line and SECRET_KEY_FALLBACKS on the next ones; without it no session is imported")
	dry := fs.Bool("dry-run", false, "read everything, write nothing, report what would happen")
	batch := fs.Int("batch", cutover.DefaultBatchSize, fmt.Sprintf("rows per batch, each in its own transaction (1–%d)", cutover.MaxBatchSize))
	usersTable := fs.String("users-table", "", "the users table (default auth_user, or the map file's users_table)")
	sessionsTable := fs.String("sessions-table", "", "the sessions table (default django_session)")
	mapArg := fs.String("map", "", "column map of a custom user model: a YAML file, or a list such as email=mail,name=full_name (see README)")
	format := fs.String("format", "text", "report format: text or json")
	restart := fs.Bool("restart", false, "start over instead of resuming an interrupted run")
	if ok, code := parseFlags(fs, args); !ok {
		return importRequest{}, false, code
	}
	fail := func(format string, a ...any) (importRequest, bool, int) {
		fmt.Fprintf(stdio.Err, "onit import django: "+format+"\n", a...)
		return importRequest{}, false, exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return fail("unexpected argument %q", fs.Arg(0))
	case (*dsn == "") == (*dsnFile == ""):
		return fail("give the Django database as --source-dsn or --source-dsn-file (one of them)")
	case *batch < 1 || *batch > cutover.MaxBatchSize:
		return fail("--batch must be between 1 and %d", cutover.MaxBatchSize)
	case *format != "text" && *format != "json":
		return fail("--format must be text or json")
	}
	req = importRequest{dsn: *dsn, batch: *batch, format: *format,
		opts: cutover.Options{DryRun: *dry, Restart: *restart}}
	if *dsnFile != "" {
		b, err := os.ReadFile(*dsnFile)
		if err != nil {
			return fail("reading --source-dsn-file: %v", err)
		}
		req.dsn = strings.TrimSpace(string(b))
	}
	if *keyFile != "" {
		keys, err := readSecretKeys(*keyFile)
		if err != nil {
			return fail("%v", err)
		}
		req.keys = keys
	}
	src, err := parseColumnMap(*mapArg)
	if err != nil {
		return fail("--map: %v", err)
	}
	if *usersTable != "" {
		src.UsersTable = *usersTable
	}
	if *sessionsTable != "" {
		src.SessionsTable = *sessionsTable
	}
	src.Defaults = mysql.AuthUserColumns()
	req.source = src
	return req, true, exitOK
}

// readSecretKeys reads Django's SECRET_KEY (first non-empty line) and
// SECRET_KEY_FALLBACKS (the other non-empty lines), as the file a secrets
// manager mounts would hold them. Lines are trimmed of surrounding
// whitespace only: a key may contain any other character, "#" included.
func readSecretKeys(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --secret-key-file: %w", err)
	}
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		if k := strings.TrimSpace(line); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("--secret-key-file is empty")
	}
	return keys, nil
}

// columnMapFile is the YAML form of --map.
type columnMapFile struct {
	UsersTable    string            `yaml:"users_table"`
	SessionsTable string            `yaml:"sessions_table"`
	Columns       map[string]string `yaml:"columns"`
}

// parseColumnMap reads --map: a YAML file (columnMapFile) or an inline
// list "field=column,…". A column "-" says the table has none.
func parseColumnMap(arg string) (mysql.DjangoSourceConfig, error) {
	var cfg mysql.DjangoSourceConfig
	if arg == "" {
		return cfg, nil
	}
	var m columnMapFile
	if b, err := os.ReadFile(arg); err == nil {
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("%s: %w", arg, err)
		}
	} else if strings.Contains(arg, "=") {
		m.Columns = map[string]string{}
		for _, pair := range strings.Split(arg, ",") {
			field, col, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return cfg, fmt.Errorf("%q is not field=column", pair)
			}
			m.Columns[strings.TrimSpace(field)] = strings.TrimSpace(col)
		}
	} else {
		return cfg, err
	}
	cfg.UsersTable, cfg.SessionsTable = m.UsersTable, m.SessionsTable
	fields := map[string]*string{
		"id": &cfg.Columns.ID, "email": &cfg.Columns.Email, "password": &cfg.Columns.Password,
		"name": &cfg.Columns.Name, "first_name": &cfg.Columns.FirstName, "last_name": &cfg.Columns.LastName,
		"username": &cfg.Columns.Username, "is_active": &cfg.Columns.IsActive, "is_staff": &cfg.Columns.IsStaff,
		"is_superuser": &cfg.Columns.IsSuperuser, "date_joined": &cfg.Columns.DateJoined,
		"last_login": &cfg.Columns.LastLogin, "language": &cfg.Columns.Language,
	}
	for field, col := range m.Columns {
		p, ok := fields[field]
		if !ok {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			slices.Sort(names)
			return cfg, fmt.Errorf("unknown field %q; the fields are %s", field, strings.Join(names, ", "))
		}
		if col == "" {
			return cfg, fmt.Errorf("field %q maps to no column (write - when the table has none)", field)
		}
		*p = col
	}
	return cfg, nil
}

// describeImportError keeps a failed run's message to what the operator
// can act on: the run resumes when started again.
func describeImportError(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted; run the same command again to resume")
	}
	return fmt.Errorf("%w (what committed is kept: run the same command again to resume)", err)
}

// isTerminal reports whether w is a terminal, where a progress bar can
// redraw itself.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
