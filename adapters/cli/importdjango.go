package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/onitapp/onit/adapters/progress"
	"github.com/onitapp/onit/app/cutover"
)

// importCommand is `onit import django`: it moves the Django backend's
// users and live sessions into Onit (see app/cutover and the README's
// "Moving from onitweb"). The report goes to standard output, progress to
// standard error.
func importCommand() *command {
	var dsn, dsnFile, keyFile, usersTable, sessionsTable, mapArg, format string
	var dry, restart bool
	var batch int
	return &command{
		name: "import",
		synopsis: "django (--source-dsn DSN | --source-dsn-file F) [--secret-key-file F] [--dry-run] [--batch N] " +
			"[--users-table T] [--sessions-table T] [--map FILE|LIST] [--format text|json] [--restart]",
		summary: "move the Django backend's users and live sessions into Onit; safe to re-run",
		args:    1,
		flags: func(fs *flagSet) {
			fs.StringVar(&dsn, "source-dsn", "", "go-sql-driver DSN of the Django database (user:pass@tcp(host:3306)/onitweb); TLS follows ONIT_MYSQL_TLS and ONIT_MYSQL_TLS_CA_FILE")
			fs.StringVar(&dsnFile, "source-dsn-file", "", "read the DSN from this file instead (keeps the password out of the process list)")
			fs.StringVar(&keyFile, "secret-key-file", "", "file with Django's SECRET_KEY on its first line and SECRET_KEY_FALLBACKS on the next ones; without it no session is imported")
			fs.BoolVar(&dry, "dry-run", false, "read everything, write nothing, report what would happen")
			fs.IntVar(&batch, "batch", cutover.DefaultBatchSize, fmt.Sprintf("rows per batch, each in its own transaction (1–%d)", cutover.MaxBatchSize))
			fs.StringVar(&usersTable, "users-table", "", "the users table (default auth_user, or the map file's users_table)")
			fs.StringVar(&sessionsTable, "sessions-table", "", "the sessions table (default django_session)")
			fs.StringVar(&mapArg, "map", "", "column map of a custom user model: a YAML file, or a list such as email=mail,name=full_name (see README)")
			fs.StringVar(&format, "format", "text", "report format: text or json")
			fs.BoolVar(&restart, "restart", false, "start over instead of resuming an interrupted run")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if inv.args[0] != "django" {
				return inv.usageError("unknown source %q (Onit imports from django)", inv.args[0])
			}
			switch {
			case (dsn == "") == (dsnFile == ""):
				return inv.usageError("give the Django database as --source-dsn or --source-dsn-file (one of them)")
			case batch < 1 || batch > cutover.MaxBatchSize:
				return inv.usageError("--batch must be between 1 and %d", cutover.MaxBatchSize)
			case format != "text" && format != "json":
				return inv.usageError("--format must be text or json")
			}
			// Every file is read before anything connects, so a missing one
			// is a usage error rather than a half-started import.
			src := DjangoImport{DSN: dsn, BatchSize: batch}
			if dsnFile != "" {
				b, err := os.ReadFile(dsnFile)
				if err != nil {
					return inv.usageError("reading --source-dsn-file: %w", err)
				}
				src.DSN = strings.TrimSpace(string(b))
			}
			if keyFile != "" {
				keys, err := readSecretKeys(keyFile)
				if err != nil {
					return Usage(err)
				}
				src.SecretKeys = keys
			}
			m, err := parseColumnMap(mapArg)
			if err != nil {
				return inv.usageError("--map: %w", err)
			}
			src.UsersTable, src.SessionsTable, src.Columns = m.UsersTable, m.SessionsTable, m.Columns
			if usersTable != "" {
				src.UsersTable = usersTable
			}
			if sessionsTable != "" {
				src.SessionsTable = sessionsTable
			}

			im, release, err := inv.backend().DjangoImporter(ctx, src)
			if err != nil {
				return err
			}
			defer release()
			report, err := im.Run(ctx, cutover.Options{DryRun: dry, Restart: restart},
				progress.New(inv.stdio.Err, isTerminal(inv.stdio.Err)))
			if err != nil {
				return describeImportError(err)
			}
			write := writeImportText
			if format == "json" {
				write = writeImportJSON
			}
			if err := write(inv.stdio.Out, report); err != nil {
				return err
			}
			if len(report.Verification.Problems) > 0 {
				return errors.New("the verification pass found problems (see the report)")
			}
			return nil
		},
	}
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

// columnMap is a parsed --map.
type columnMap struct {
	UsersTable, SessionsTable string
	Columns                   DjangoColumns
}

// columnMapFile is the YAML form of --map.
type columnMapFile struct {
	UsersTable    string            `yaml:"users_table"`
	SessionsTable string            `yaml:"sessions_table"`
	Columns       map[string]string `yaml:"columns"`
}

// parseColumnMap reads --map: a YAML file (columnMapFile) or an inline
// list "field=column,…". A column "-" says the table has none.
func parseColumnMap(arg string) (columnMap, error) {
	var cm columnMap
	if arg == "" {
		return cm, nil
	}
	var m columnMapFile
	if b, err := os.ReadFile(arg); err == nil {
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
			return cm, fmt.Errorf("%s: %w", arg, err)
		}
	} else if strings.Contains(arg, "=") {
		m.Columns = map[string]string{}
		for _, pair := range strings.Split(arg, ",") {
			field, col, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return cm, fmt.Errorf("%q is not field=column", pair)
			}
			m.Columns[strings.TrimSpace(field)] = strings.TrimSpace(col)
		}
	} else {
		return cm, err
	}
	cm.UsersTable, cm.SessionsTable = m.UsersTable, m.SessionsTable
	c := &cm.Columns
	fields := map[string]*string{
		"id": &c.ID, "email": &c.Email, "password": &c.Password,
		"name": &c.Name, "first_name": &c.FirstName, "last_name": &c.LastName,
		"username": &c.Username, "is_active": &c.IsActive, "is_staff": &c.IsStaff,
		"is_superuser": &c.IsSuperuser, "date_joined": &c.DateJoined,
		"last_login": &c.LastLogin, "language": &c.Language,
	}
	for field, col := range m.Columns {
		p, ok := fields[field]
		if !ok {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			slices.Sort(names)
			return cm, fmt.Errorf("unknown field %q; the fields are %s", field, strings.Join(names, ", "))
		}
		if col == "" {
			return cm, fmt.Errorf("field %q maps to no column (write - when the table has none)", field)
		}
		*p = col
	}
	return cm, nil
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
