package bootstrap

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/app/cutover"
	dc "github.com/onitapp/onit/domain/cutover"
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
		want      mysql.DjangoSourceConfig
		err       string
	}{
		{name: "none", arg: ""},
		{name: "file", arg: file, want: mysql.DjangoSourceConfig{UsersTable: "accounts_member",
			Columns: mysql.DjangoUserColumns{ID: "pk", Email: "mail", FirstName: "-"}}},
		{name: "list", arg: "email=mail, name=full_name,language=lang",
			want: mysql.DjangoSourceConfig{Columns: mysql.DjangoUserColumns{Email: "mail", Name: "full_name", Language: "lang"}}},
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

func TestImportUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage: onit import django"},
		{[]string{"flask"}, "usage: onit import django"},
		{[]string{"django"}, "--source-dsn or --source-dsn-file"},
		{[]string{"django", "--source-dsn", "a", "--source-dsn-file", "b"}, "one of them"},
		{[]string{"django", "--source-dsn", "a", "--batch", "10001"}, "--batch must be between 1 and 10000"},
		{[]string{"django", "--source-dsn", "a", "--format", "xml"}, "--format must be text or json"},
		{[]string{"django", "--source-dsn", "a", "--secret-key-file", "/no/such/file"}, "reading --secret-key-file"},
		{[]string{"django", "--source-dsn", "a", "--map", "bogus=x"}, `unknown field "bogus"`},
		{[]string{"django", "--source-dsn", "a", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		code, _, stderr := runCLIInput(t, nil, "", append([]string{"import"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("onit import %v = %d %q; want exit 2 with %q", tc.args, code, stderr, tc.want)
		}
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

// heapSampler records the largest HeapInuse seen while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		var m runtime.MemStats
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			s.peak = max(s.peak, m.HeapInuse)
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// fillDjango creates a Django source holding n users and returns its DSN;
// the rows are built here so they are garbage before the heap is measured.
func fillDjango(t *testing.T, n int) string {
	t.Helper()
	srcDSN, srcDB := mysqltest.DjangoDatabase(t)
	joined := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	users := make([]dc.SourceUser, n)
	for i := range users {
		id := int64(i + 1)
		users[i] = dc.SourceUser{ID: id, Email: fmt.Sprintf("user%d@example.com", id), FirstName: "User", LastName: fmt.Sprint(id),
			Password: fmt.Sprintf("pbkdf2_sha256$870000$salt%016d$c2FtZXNpemVhc2FyZWFsaGFzaG9mMzJieXRlc2FiY2Q=", id),
			IsActive: true, DateJoined: joined}
	}
	mysqltest.InsertDjangoUsers(t, srcDB, users)
	return srcDSN
}

// importN fills a Django source with n users and imports it with the
// command, sampling the heap while it runs. It returns the peak heap
// above the settled heap before the run, the report and the progress
// output.
func importN(t *testing.T, n int) (grew uint64, report map[string]any, progress string) {
	t.Helper()
	srcDSN := fillDjango(t, n)
	environ, _ := opsEnv(t)
	base := heapNow()
	s := sampleHeap(5 * time.Millisecond)
	code, stdout, stderr := runCLIInput(t, environ, "", "import", "django", "--source-dsn", srcDSN, "--format", "json")
	peak := s.Stop()
	if code != exitOK {
		t.Fatalf("import of %d users exited %d: %s", n, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatal(err)
	}
	if peak > base {
		grew = peak - base
	}
	return grew, report, stderr
}

// TestImport100kUsersFlatMemory imports 10,000 and then 100,000 users and
// compares the heap each run needed above what was in use before it: with
// bounded batches the tenfold larger import needs no more memory. Keeping
// only 100 bytes per user would add about 9 MB and fail it.
func TestImport100kUsersFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 110,000 users")
	}
	small, _, _ := importN(t, 10_000)
	large, report, progress := importN(t, 100_000)
	t.Logf("heap above the settled baseline: %.1f MB for 10,000 users, %.1f MB for 100,000", float64(small)/1e6, float64(large)/1e6)
	users := report["users"].(map[string]any)
	if users["read"] != 100_000.0 || users["imported"] != 100_000.0 {
		t.Fatalf("users report = %v", users)
	}
	if v := report["verification"].(map[string]any); v["checked"] != float64(dc.SampleSize) || v["passed"] != v["checked"] {
		t.Errorf("verification = %v", v)
	}
	const slack = 8 << 20
	if large > small+slack {
		t.Errorf("100,000 users needed %.1f MB of heap, 10,000 needed %.1f MB: memory grows with the number of users",
			float64(large)/1e6, float64(small)/1e6)
	}
	lines := strings.Count(progress, "\nusers: ")
	if !strings.Contains(progress, "users: 100000 to go") || !strings.Contains(progress, "users: 50000/100000 (50%)") ||
		!strings.Contains(progress, "users: 100000/100000 (100%)") || lines > 15 {
		t.Errorf("progress output (%d users lines):\n%s", lines, progress)
	}
}
