package bootstrap

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels up from this package's tests.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	return strings.Fields(string(out))
}

// forbiddenInCore is the design card's dependency rule: the core (domain,
// app, ports) imports no infrastructure, directly or through anything it
// imports. .golangci.yml's depguard mirrors it.
var forbiddenInCore = regexp.MustCompile(`^(github\.com/labstack/echo|github\.com/uptrace/bun|github\.com/redis/go-redis|github\.com/go-sql-driver/mysql|go\.uber\.org/fx|go\.uber\.org/dig|github\.com/caarlos0/env|github\.com/go-playground/validator|database/sql|net/http|github\.com/onitapp/onit/(adapters|bootstrap|env))(/|$)`)

func TestCoreImportsNoInfrastructure(t *testing.T) {
	pkgs := goList(t, "./domain/...", "./app/...", "./ports/...")
	if len(pkgs) == 0 {
		t.Fatal("no core packages found")
	}
	for _, pkg := range pkgs {
		t.Run(pkg, func(t *testing.T) {
			for _, dep := range goList(t, "-deps", pkg) {
				if forbiddenInCore.MatchString(dep) {
					t.Errorf("%s depends on %s: the core must not import infrastructure", pkg, dep)
				}
			}
		})
	}
}

func TestForbiddenPatternCatchesInfrastructure(t *testing.T) {
	for _, dep := range []string{"github.com/labstack/echo/v4", "github.com/uptrace/bun", "net/http", "database/sql", "github.com/onitapp/onit/adapters/mysql", "go.uber.org/fx"} {
		if !forbiddenInCore.MatchString(dep) {
			t.Errorf("rule misses %s", dep)
		}
	}
	for _, dep := range []string{"context", "github.com/onitapp/onit/domain", "net/url"} {
		if forbiddenInCore.MatchString(dep) {
			t.Errorf("rule wrongly forbids %s", dep)
		}
	}
}

// The embedded development engines must never reach the production binary.
func TestProductionBinaryHasNoEmbeddedEngines(t *testing.T) {
	for _, dep := range goList(t, "-deps", "./bootstrap/cmd/onit") {
		if strings.HasPrefix(dep, "github.com/dolthub/") || strings.HasPrefix(dep, "github.com/alicebob/miniredis") {
			t.Errorf("production binary links %s; keep it behind the devengines build tag", dep)
		}
	}
}

// roomRules keep infrastructure inside its adapter. Each names an import
// and the packages (by import path prefix) allowed to use it; only
// production code is held to them, as depguard does in .golangci.yml,
// which mirrors these rules.
var roomRules = []struct {
	name    string
	imports *regexp.Regexp
	allowed []string
}{
	{"echo only in the HTTP adapter", regexp.MustCompile(`^github\.com/labstack/echo(/|$)`),
		[]string{"github.com/onitapp/onit/adapters/httpapi"}},
	{"the MySQL driver only in the MySQL adapter", regexp.MustCompile(`^github\.com/go-sql-driver/mysql$`),
		// devengines serves the same wire protocol, for development only.
		[]string{"github.com/onitapp/onit/adapters/mysql", "github.com/onitapp/onit/adapters/devengines"}},
	{"database/sql only in the MySQL adapter and the migrations", regexp.MustCompile(`^database/sql$`),
		// metrics reads the pool's statistics (sql.DBStats), never SQL.
		[]string{"github.com/onitapp/onit/adapters/mysql", "github.com/onitapp/onit/migrations", "github.com/onitapp/onit/adapters/metrics"}},
	{"bun only in the MySQL adapter and the wiring that hands its pool around", regexp.MustCompile(`^github\.com/uptrace/bun(/|$)`),
		[]string{"github.com/onitapp/onit/adapters/mysql", "github.com/onitapp/onit/bootstrap"}},
	{"the checks ask the MySQL adapter through an interface", regexp.MustCompile(`^github\.com/onitapp/onit/adapters/mysql(/|$)`),
		[]string{"github.com/onitapp/onit/adapters/mysql", "github.com/onitapp/onit/bootstrap", "github.com/onitapp/onit/migrations"}},
	{"adapters take plain config values, not the settings", regexp.MustCompile(`^github\.com/onitapp/onit/env$`),
		[]string{"github.com/onitapp/onit/bootstrap", "github.com/onitapp/onit/env",
			// Until the Redis adapter takes its own Config (it is being reworked).
			"github.com/onitapp/onit/adapters/redisstore",
			// Test helpers read ONIT_TEST_* through env.
			"github.com/onitapp/onit/adapters/mysql/mysqltest"}},
}

// allowedIn reports whether pkg is one of prefixes or inside one.
func allowedIn(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

func TestInfrastructureStaysInItsAdapter(t *testing.T) {
	lines := goList(t, "-f", "{{.ImportPath}}={{join .Imports \",\"}}", "./...")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		pkg, imports, _ := strings.Cut(line, "=")
		for _, imp := range strings.Split(imports, ",") {
			for _, r := range roomRules {
				if imp != "" && r.imports.MatchString(imp) && !allowedIn(pkg, r.allowed) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.name)
				}
			}
		}
	}
}

func TestRoomRulesCatchWhatTheyMean(t *testing.T) {
	for _, tt := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"github.com/onitapp/onit/adapters/checks", "github.com/onitapp/onit/adapters/mysql", false},
		{"github.com/onitapp/onit/adapters/checks", "github.com/go-sql-driver/mysql", false},
		{"github.com/onitapp/onit/adapters/cli", "database/sql", false},
		{"github.com/onitapp/onit/adapters/web", "github.com/onitapp/onit/env", false},
		{"github.com/onitapp/onit/bootstrap", "github.com/labstack/echo/v4", false},
		{"github.com/onitapp/onit/adapters/mysql", "github.com/go-sql-driver/mysql", true},
		{"github.com/onitapp/onit/adapters/httpapi", "github.com/labstack/echo/v4/middleware", true},
		{"github.com/onitapp/onit/adapters/mysqlx", "database/sql", false},
	} {
		ok := true
		for _, r := range roomRules {
			if r.imports.MatchString(tt.imp) && !allowedIn(tt.pkg, r.allowed) {
				ok = false
			}
		}
		if ok != tt.ok {
			t.Errorf("%s importing %s: allowed %v, want %v", tt.pkg, tt.imp, ok, tt.ok)
		}
	}
}

// sqlStatement matches a string literal that starts like an SQL statement.
var sqlStatement = regexp.MustCompile(`(?is)^\s*(SELECT\s+(@@|\d|\*|.*\sFROM\s)|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|SHOW\s+(GLOBAL|SESSION|TABLES|VARIABLES|STATUS|CREATE)|CREATE\s+(TABLE|DATABASE|INDEX|USER)\s|ALTER\s+TABLE\s|DROP\s+(TABLE|DATABASE)\s|SET\s+(SESSION|GLOBAL|NAMES)\s)`)

// SQL text lives in the MySQL adapter (and the migrations, which are SQL
// by nature): every other package asks the adapter. Imports cannot show
// SQL in a string, so production files are parsed for literals that read
// like statements.
func TestSQLTextOnlyInTheMySQLAdapter(t *testing.T) {
	root := repoRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			// .tools/lint holds no code; the load harness (.tools/bench) asks
			// the adapter for its SQL like everyone else.
			case ".git", ".tools/lint", "adapters/mysql", "migrations", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && sqlStatement.MatchString(s) {
				t.Errorf("%s: SQL outside adapters/mysql: %.60q", rel, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked", checked)
	}
}

func TestSQLPatternCatchesStatements(t *testing.T) {
	for _, s := range []string{"SELECT @@version", "SHOW GLOBAL STATUS WHERE x", "select 1 ", "\n\tUPDATE users SET a = 1", "CREATE DATABASE `x`", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"} {
		if !sqlStatement.MatchString(s) {
			t.Errorf("misses %q", s)
		}
	}
	for _, s := range []string{"select a language", "show the banner", "Update your password", "created", "delete expired sessions"} {
		if sqlStatement.MatchString(s) {
			t.Errorf("wrongly matches %q", s)
		}
	}
}
