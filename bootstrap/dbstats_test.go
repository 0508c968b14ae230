package bootstrap

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
)

func TestDBStatsCommand(t *testing.T) {
	environ, db := opsEnv(t)
	if mysqltest.Embedded(db) {
		t.Skip("the embedded engine reports no server status; run with ONIT_TEST_MYSQL_DSN")
	}
	code, out, errOut := runCLI(t, environ, "dbstats", "--interval", "200ms")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "(mariadb)") && !strings.Contains(out, "(mysql)") {
		t.Errorf("the header does not name the server:\n%s", out)
	}
	for _, want := range []string{"SIGNAL", "threads running", "connections", "disk queue depth", "IOPS", "network",
		"buffer pool", "slow queries", "round trip", "CPUUtilization", "SwapUsage", "FreeableMemory", "see CloudWatch"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A quiet test server: nothing is a concern, except what measures the
	// machine's load rather than the server (the round trip and running
	// threads rise when other work shares the test machine's cores).
	for _, line := range strings.Split(out, "\n") {
		sig := strings.TrimSpace(line)
		if strings.HasSuffix(sig, "WARN") && !strings.HasPrefix(sig, "round trip") && !strings.HasPrefix(sig, "threads running") {
			t.Errorf("a WARN on the idle test server: %q\n%s", sig, out)
		}
	}
}

func TestDBStatsWatch(t *testing.T) {
	environ, db := opsEnv(t)
	if mysqltest.Embedded(db) {
		t.Skip("the embedded engine reports no server status; run with ONIT_TEST_MYSQL_DSN")
	}
	for k, v := range environ {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 1100*time.Millisecond)
	defer cancel()
	var out, errb strings.Builder
	code := Main(ctx, []string{"dbstats", "--watch", "300ms"}, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), "SIGNAL"); n < 2 {
		t.Errorf("--watch printed %d reports in 1.1 s at 300 ms, want ≥ 2", n)
	}
}

func TestDBStatsUsage(t *testing.T) {
	for _, args := range [][]string{{"--vcpus", "0"}, {"--interval", "0s"}, {"extra"}} {
		if code, _, _ := runCLI(t, nil, append([]string{"dbstats"}, args...)...); code != cli.ExitUsage {
			t.Errorf("dbstats %v: exit %d, want 2", args, code)
		}
	}
}
