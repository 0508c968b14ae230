package migrations

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// numbered matches a migration file name: version, underscore, name.
var numbered = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.(sql|go)$`)

// Create writes a new migration template and returns its path. dir is the
// migrations package directory: kind "sql" writes dir/sql/NNNNN_name.sql,
// kind "go" writes dir/NNNNN_name.go (a data migration, to be added to
// dataMigrations). The version is one more than the highest in use by SQL
// files, Go files and registered data migrations: sequential numbers, not
// timestamps, so the order is the order of review and gaps stand out.
func Create(dir, name, kind string) (string, error) {
	slug := slugify(name)
	if slug == "" {
		return "", errors.New("migrations: name needs letters or digits")
	}
	next, err := nextVersion(dir)
	if err != nil {
		return "", err
	}
	var p, body string
	switch kind {
	case "sql":
		p = filepath.Join(dir, "sql", fmt.Sprintf("%05d_%s.sql", next, slug))
		body = sqlTemplate
	case "go":
		p = filepath.Join(dir, fmt.Sprintf("%05d_%s.go", next, slug))
		body = strings.NewReplacer("VERSION", strconv.FormatInt(next, 10),
			"FUNC", goFuncName(slug), "FILE", filepath.Base(p)).Replace(goTemplate)
	default:
		return "", fmt.Errorf("migrations: kind %q: want sql or go", kind)
	}
	// O_EXCL: never overwrite a migration someone else just created.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("migrations: %w", err)
	}
	if _, err := f.WriteString(body); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("migrations: %w", err)
	}
	return p, f.Close()
}

// nextVersion returns one more than the highest version in dir/sql, dir and
// dataMigrations.
func nextVersion(dir string) (int64, error) {
	var highest int64
	for _, m := range dataMigrations() {
		highest = max(highest, m.version)
	}
	for _, d := range []string{filepath.Join(dir, "sql"), dir} {
		entries, err := os.ReadDir(d)
		if err != nil {
			return 0, fmt.Errorf("migrations: %w", err)
		}
		for _, e := range entries {
			m := numbered.FindStringSubmatch(e.Name())
			if m == nil {
				continue
			}
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("migrations: %s: %w", e.Name(), err)
			}
			highest = max(highest, v)
		}
	}
	return highest + 1, nil
}

func slugify(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
	}
	return b.String()
}

func goFuncName(slug string) string {
	parts := strings.Split(slug, "_")
	var b strings.Builder
	b.WriteString("migration")
	for _, p := range parts {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

const sqlTemplate = `-- Blue/green rule: this release's code and the previous release's both run
-- against the schema this migration leaves. Expand only (new tables, nullable
-- or defaulted columns, new indexes); drop or tighten in a later release.
-- Must run on MySQL 8.0 and MariaDB 10.11: no RETURNING, no IF NOT EXISTS on
-- CREATE INDEX, no ->>; quote reserved words; name ENGINE/CHARSET/COLLATE.

-- +goose Up
-- CREATE TABLE example (
--     id BIGINT NOT NULL AUTO_INCREMENT,
--     PRIMARY KEY (id)
-- ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
-- DROP TABLE example;
`

const goTemplate = `package migrations

import (
	"context"
	"database/sql"
)

// FUNC is data migration VERSION. Add it to dataMigrations in data.go.
// It runs outside a transaction and commits in batches, so it must be
// idempotent: a crash half way leaves the version unrecorded.
func FUNC() dataMigration {
	return dataMigration{
		version: VERSION,
		name:    "FILE",
		// up returns how many rows it changed; onit migrate up prints it.
		up: func(ctx context.Context, db *sql.DB) (int64, error) {
			return 0, nil
		},
	}
}
`
