package bootstrap

import (
	"os/exec"
	"path/filepath"
	"regexp"
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
