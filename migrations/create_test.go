package migrations

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sql"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sql/00001_a.sql", "sql/00012_b.sql", "sql/README.md"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, kind, want, wantErr string
	}{
		{"Add task labels!", "sql", "sql/00013_add_task_labels.sql", ""},
		{"backfill labels", "go", "00014_backfill_labels.go", ""},
		{"next", "sql", "sql/00015_next.sql", ""},
		{"---", "sql", "", "letters or digits"},
		{"x", "yaml", "", "want sql or go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Create(dir, tt.name, tt.kind)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p != filepath.Join(dir, tt.want) {
				t.Fatalf("path = %s, want %s", p, tt.want)
			}
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind == "sql" && !strings.Contains(string(body), "-- +goose Down") {
				t.Errorf("sql template lacks the down marker:\n%s", body)
			}
			if tt.kind == "go" && !strings.Contains(string(body), "version: 14,") {
				t.Errorf("go template lacks its version:\n%s", body)
			}
		})
	}
}

func TestCreateNeverBelowDataMigrations(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sql"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Create(dir, "first", "sql")
	if err != nil {
		t.Fatal(err)
	}
	var highest int64
	for _, m := range dataMigrations() {
		highest = max(highest, m.version)
	}
	if want := filepath.Join(dir, "sql", strconv.FormatInt(highest+100001, 10)[1:]+"_first.sql"); p != want {
		t.Errorf("path = %s, want %s", p, want)
	}
}

// TestEveryGoMigrationFileIsRegistered catches a file written by Create("go")
// but never added to dataMigrations, which would silently never run.
func TestEveryGoMigrationFileIsRegistered(t *testing.T) {
	registered := map[int64]bool{}
	for _, m := range dataMigrations() {
		if registered[m.version] {
			t.Errorf("data migration version %d registered twice", m.version)
		}
		registered[m.version] = true
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\d+)_.*\.go$`)
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		if !registered[v] {
			t.Errorf("%s is not listed in dataMigrations", e.Name())
		}
	}
}

// TestVersionsDoNotCollide builds the runner's sources without a database:
// goose rejects a data migration sharing a version with an SQL file.
func TestVersionsDoNotCollide(t *testing.T) {
	entries, err := embedded.ReadDir("sql")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]string{}
	for _, m := range dataMigrations() {
		seen[m.version] = m.name
	}
	for _, e := range entries {
		m := numbered.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("sql/%s: not a migration file name (NNNNN_name.sql)", e.Name())
			continue
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		if other, ok := seen[v]; ok {
			t.Errorf("version %d used by both %s and %s", v, e.Name(), other)
		}
		seen[v] = e.Name()
	}
}
