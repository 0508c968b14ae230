package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/app/cutover"
	dc "github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

func TestParseColumnMap(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "map.yaml")
	if err := os.WriteFile(file, []byte("users_table: accounts_member\ncolumns:\n  id: pk\n  email: mail\n  first_name: \"-\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("colums:\n  id: pk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, arg string
		want      columnMap
		err       string
	}{
		{name: "none", arg: ""},
		{name: "file", arg: file, want: columnMap{UsersTable: "accounts_member",
			Columns: DjangoColumns{ID: "pk", Email: "mail", FirstName: "-"}}},
		{name: "list", arg: "email=mail, name=full_name,language=lang",
			want: columnMap{Columns: DjangoColumns{Email: "mail", Name: "full_name", Language: "lang"}}},
		{name: "unknown field", arg: "mail=email", err: `unknown field "mail"`},
		{name: "empty column", arg: "email=", err: "maps to no column"},
		{name: "not a pair", arg: "email=mail,name", err: "not field=column"},
		{name: "missing file", arg: "/no/such/map.yaml", err: "no such file"},
		{name: "misspelt key in the file", arg: bad, err: "colums"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseColumnMap(tc.arg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseColumnMap = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseColumnMap = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestReadSecretKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys, err := readSecretKeys(write("keys", "\n  #current-key$with!symbols  \r\n\nold-key\n"))
	if err != nil || len(keys) != 2 || keys[0] != "#current-key$with!symbols" || keys[1] != "old-key" {
		t.Errorf("readSecretKeys = %q, %v", keys, err)
	}
	if _, err := readSecretKeys(write("empty", "\n \n")); err == nil {
		t.Error("an empty key file was accepted")
	}
}

// importBackend hands out a fake importer and records what it was asked.
type importBackend struct {
	Backend // unimplemented methods panic: a command called what it must not
	got     *DjangoImport
	opts    *cutover.Options
	report  cutover.Report
	err     error
}

func (b importBackend) DjangoImporter(_ context.Context, src DjangoImport) (Importer, func(), error) {
	*b.got = src
	return b, func() {}, nil
}

func (b importBackend) Run(_ context.Context, opts cutover.Options, _ ports.ImportProgress) (cutover.Report, error) {
	*b.opts = opts
	return b.report, b.err
}

// Bad command lines stop with exit 2 and one message before anything
// connects (fakeBackend panics on any backend call).
func TestImportUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "onit import: missing arguments\nUsage: onit import django"},
		{[]string{"flask"}, `onit import: unknown source "flask" (Onit imports from django)`},
		{[]string{"django"}, "--source-dsn or --source-dsn-file"},
		{[]string{"django", "--source-dsn", "a", "--source-dsn-file", "b"}, "one of them"},
		{[]string{"django", "--source-dsn", "a", "--batch", "10001"}, "--batch must be between 1 and 10000"},
		{[]string{"django", "--source-dsn", "a", "--batch", "0"}, "--batch must be between 1 and 10000"},
		{[]string{"django", "--source-dsn", "a", "--format", "xml"}, "--format must be text or json"},
		{[]string{"django", "--source-dsn-file", "/no/such/file"}, "reading --source-dsn-file"},
		{[]string{"django", "--source-dsn", "a", "--secret-key-file", "/no/such/file"}, "reading --secret-key-file"},
		{[]string{"django", "--source-dsn", "a", "--map", "bogus=x"}, `--map: unknown field "bogus"`},
		{[]string{"django", "--source-dsn", "a", "extra"}, `onit import: unexpected argument "extra"`},
		{[]string{"django", "-source-dsn", "a"}, "unknown shorthand flag"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, fakeBackend{}, append([]string{"import"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("onit import %v = %d, stdout %q, stderr %q; want exit 2 with %q", tc.args, code, out, errOut, tc.want)
			}
			// The message is one line; bad usage adds the usage lines after it.
			if msg, _, _ := strings.Cut(strings.TrimSuffix(errOut, "\n"), "\nUsage: "); !strings.HasPrefix(msg, "onit import: ") || strings.Contains(msg, "\n") {
				t.Errorf("the error is not one line: %q", errOut)
			}
		})
	}
}

func TestImportHelpOnStdout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"import", "--help"}, {"import", "django", "--help"}, {"help", "import"}} {
		code, out, errOut := run(t, fakeBackend{}, args...)
		if code != ExitOK || errOut != "" || !strings.Contains(out, "Usage: onit import django (--source-dsn DSN | --source-dsn-file F)") ||
			!strings.Contains(out, "      --secret-key-file string") {
			t.Errorf("onit %v = %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
	}
}

// The command line reaches the backend as one request: the DSN read from
// its file, the keys, the tables with --users-table over the map's, the
// columns, the batch and the run's options.
func TestImportRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsnFile, keyFile, mapFile := filepath.Join(dir, "dsn"), filepath.Join(dir, "keys"), filepath.Join(dir, "map.yaml")
	for p, content := range map[string]string{
		dsnFile: "reader:pw@tcp(django-db:3306)/onitweb\n", keyFile: "current\nold\n",
		mapFile: "users_table: accounts_member\nsessions_table: web_session\ncolumns:\n  email: mail\n",
	} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got DjangoImport
	var opts cutover.Options
	b := importBackend{got: &got, opts: &opts, report: cutover.Report{Source: "django-db:3306/onitweb", DryRun: true}}
	code, out, errOut := run(t, b, "import", "django", "--source-dsn-file", dsnFile, "--secret-key-file", keyFile,
		"--map", mapFile, "--users-table", "members", "--batch", "250", "--dry-run", "--restart")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := DjangoImport{DSN: "reader:pw@tcp(django-db:3306)/onitweb", SecretKeys: []string{"current", "old"},
		UsersTable: "members", SessionsTable: "web_session", Columns: DjangoColumns{Email: "mail"}, BatchSize: 250}
	if got.DSN != want.DSN || strings.Join(got.SecretKeys, ",") != "current,old" || got.UsersTable != want.UsersTable ||
		got.SessionsTable != want.SessionsTable || got.Columns != want.Columns || got.BatchSize != want.BatchSize {
		t.Errorf("request = %+v\nwant      %+v", got, want)
	}
	if opts != (cutover.Options{DryRun: true, Restart: true}) {
		t.Errorf("options = %+v", opts)
	}
	if !strings.Contains(out, "DRY RUN: nothing was written") {
		t.Errorf("text report:\n%s", out)
	}
}

// A run that fails says it resumes; a verification problem prints the
// report and fails with one line.
func TestImportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		report  cutover.Report
		err     error
		wantOut string
		wantErr string
	}{
		{name: "interrupted", err: context.Canceled,
			wantErr: "onit import: interrupted; run the same command again to resume\n"},
		{name: "failed", err: cutover.ErrBatchSize,
			wantErr: "(what committed is kept: run the same command again to resume)\n"},
		{name: "verification", report: cutover.Report{Verification: cutover.Verification{Checked: 2, Passed: 1,
			Problems: []string{"Django user 7: hash differs"}}},
			wantOut: "Django user 7: hash differs", wantErr: "onit import: the verification pass found problems (see the report)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got DjangoImport
			var opts cutover.Options
			b := importBackend{got: &got, opts: &opts, report: tc.report, err: tc.err}
			code, out, errOut := run(t, b, "import", "django", "--source-dsn", "a", "--format", "json")
			if code != ExitFailure || !strings.HasSuffix(errOut, tc.wantErr) || strings.Count(errOut, "\n") != 1 || !strings.Contains(out, tc.wantOut) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %q\nwant stderr ending %q", code, out, errOut, tc.wantErr)
			}
		})
	}
}

func TestImportTextReport(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	r := cutover.Report{RunID: 3, Source: "db:3306/onitweb users=auth_user sessions=django_session",
		StartedAt: start, FinishedAt: start.Add(90 * time.Second),
		Users:      cutover.Counts{Read: 10, Imported: 6, Skipped: map[string]int64{"collision": 2, "unverifiable_hash": 2}},
		Sessions:   cutover.Counts{Read: 4, Imported: 3, Removed: 1, Skipped: map[string]int64{"hash_mismatch": 1}},
		Algorithms: map[string]int64{"pbkdf2_sha256": 5, "bcrypt_sha256": 1}, Unverifiable: map[string]int64{"md5": 2},
		Collisions:   []dc.Collision{{EmailKey: "jo@example.com", SourceIDs: []int64{4, 9}}},
		Verification: cutover.Verification{Checked: 6, Passed: 6}}
	var b strings.Builder
	if err := writeImportText(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Import from db:3306/onitweb", "Run 3.", "Took 1m30s",
		"Users: 10 read, 6 imported, 0 updated, 0 unchanged, 0 deactivated",
		"skipped: collision 2, unverifiable_hash 2", "password hashes: pbkdf2_sha256 5, bcrypt_sha256 1",
		"unverifiable hashes", "md5 2", "Sessions: 4 read, 3 imported, 0 updated, 0 unchanged, 1 revoked",
		"jo@example.com: Django users 4, 9", "Verification: 6 of 6 sampled users check out",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}
