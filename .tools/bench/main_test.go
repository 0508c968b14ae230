package main

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestMain lets the test binary be the ceiling program too, as the bench
// binary is: the smoke test starts os.Executable() with ceilingAddrVar set.
func TestMain(m *testing.M) {
	if addr := os.Getenv(ceilingAddrVar); addr != "" {
		os.Exit(ceilingMain(addr))
	}
	os.Exit(m.Run())
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	fromEnv := func(v string) func() string { return func() string { return v } }
	tests := []struct {
		name    string
		args    []string
		envDSN  string
		wantErr string
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", check: func(t *testing.T, o options) {
			if o.Tasks != 1000 || o.Rate != 1000 || o.Duration != 10*time.Second || o.Connections != 32 ||
				o.MySQLDSN != defaultMySQLDSN || o.RedisAddr != privateRedis || o.Out != ".bench" ||
				!slices.Equal(o.Scenarios, allScenarios) || !slices.Equal(o.Modes, []string{"rate", "max"}) ||
				o.Command != "go tool task bench" {
				t.Errorf("defaults = %+v", o)
			}
		}},
		{name: "environment DSN when no flag", envDSN: "u:p@tcp(127.0.0.1:3307)/", check: func(t *testing.T, o options) {
			if o.MySQLDSN != "u:p@tcp(127.0.0.1:3307)/" {
				t.Errorf("dsn = %q", o.MySQLDSN)
			}
		}},
		{name: "flag beats environment; password hidden in the command", envDSN: "env@tcp(127.0.0.1)/",
			args: []string{"--mysql-dsn", "root:secret@tcp(127.0.0.1:3306)/", "--tasks", "100000"},
			check: func(t *testing.T, o options) {
				if o.MySQLDSN != "root:secret@tcp(127.0.0.1:3306)/" || o.Tasks != 100000 {
					t.Errorf("options = %+v", o)
				}
				if strings.Contains(o.Command, "secret") {
					t.Errorf("command shows the password: %s", o.Command)
				}
			}},
		{name: "lists trimmed", args: []string{"--scenarios", " get_task, login ,", "--modes", "max"}, check: func(t *testing.T, o options) {
			if !slices.Equal(o.Scenarios, []string{"get_task", "login"}) || !slices.Equal(o.Modes, []string{"max"}) {
				t.Errorf("lists = %q %q", o.Scenarios, o.Modes)
			}
		}},
		{name: "quick subset", args: []string{"--quick"}, check: func(t *testing.T, o options) {
			if !o.Quick || !slices.Equal(o.Scenarios, quickScenarios) || !slices.Equal(o.Modes, []string{"max"}) ||
				o.Duration != 5*time.Second || o.DeepPage != 0 {
				t.Errorf("quick = %+v", o)
			}
		}},
		{name: "quick with explicit flags", args: []string{"--quick", "--scenarios", "mix", "--duration", "3s"}, check: func(t *testing.T, o options) {
			if !slices.Equal(o.Scenarios, []string{"mix"}) || o.Duration != 3*time.Second || !slices.Equal(o.Modes, []string{"max"}) {
				t.Errorf("quick with flags = %+v", o)
			}
		}},
		{name: "unknown scenario", args: []string{"--scenarios", "get_tasks"}, wantErr: "unknown scenario"},
		{name: "unknown mode", args: []string{"--modes", "burst"}, wantErr: "unknown mode"},
		{name: "zero connections", args: []string{"--connections", "0"}, wantErr: "--connections"},
		{name: "remote redis refused", args: []string{"--redis", "cache.example.com:6379"}, wantErr: "not on loopback"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unexpected arguments"},
		{name: "bad duration", args: []string{"--duration", "0s"}, wantErr: "--duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseArgs(tt.args, io.Discard, fromEnv(tt.envDSN))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestRedactArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nothing to hide", []string{"--tasks", "5"}, []string{"--tasks", "5"}},
		{"separate value", []string{"--mysql-dsn", "u:pw@tcp(x)/", "--rate", "9"}, []string{"--mysql-dsn", "'<dsn>'", "--rate", "9"}},
		{"joined value", []string{"-mysql-dsn=u:pw@tcp(x)/"}, []string{"-mysql-dsn='<dsn>'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := redactArgs(tt.args); !slices.Equal(got, tt.want) {
				t.Errorf("redactArgs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCreateDatabaseRefusesRemoteServers(t *testing.T) {
	t.Parallel()
	_, err := createDatabase(context.Background(), "u:p@tcp(db.example.com:3306)/", "onit_bench_x")
	if err == nil || !strings.Contains(err.Error(), "not on loopback") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}

func TestServerEnvDropsCallerSettings(t *testing.T) {
	t.Parallel()
	got := serverEnv([]string{"PATH=/bin", "ONIT_ENV=development", "ONIT_DEBUG=true"},
		serverConfig{mysqlDSN: "dsn", redisAddr: "127.0.0.1:6379", redisPrefix: "p:", metricsToken: "tok"}, "127.0.0.1:1", "")
	if !slices.Contains(got, "PATH=/bin") || slices.Contains(got, "ONIT_ENV=development") || slices.Contains(got, "ONIT_DEBUG=true") {
		t.Errorf("env = %q", got)
	}
	for _, want := range []string{"ONIT_ENV=production", "ONIT_MYSQL_TLS=false", "ONIT_REDIS_CLUSTER=false", "ONIT_REDIS_KEY_PREFIX=p:", "ONIT_METRICS_TOKEN=tok"} {
		if !slices.Contains(got, want) {
			t.Errorf("env lacks %s", want)
		}
	}
	for _, kv := range got {
		if strings.HasPrefix(kv, "ONIT_PASSWORD_ITERATIONS=") {
			t.Errorf("iterations overridden without --password-iterations: %s", kv)
		}
		if k, v, _ := strings.Cut(kv, "="); k == "ONIT_SECRET_KEY" && len(v) != 64 {
			t.Errorf("secret key has %d characters, want 64", len(v))
		}
	}
}

// TestBenchSmoke runs the whole harness briefly against the local MariaDB
// and Redis: build, start, seed, every scenario in both modes, the keyset
// comparison, the report files and the clean-up.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads the production server; skipped with -short")
	}
	ts := loadTestServices()
	if ts.MySQLDSN == "" || ts.RedisAddr == "" {
		if ts.Require {
			t.Fatal("ONIT_TEST_REQUIRE_SERVICES is set but ONIT_TEST_MYSQL_DSN or ONIT_TEST_REDIS_ADDR is not")
		}
		t.Skip("needs ONIT_TEST_MYSQL_DSN and ONIT_TEST_REDIS_ADDR (real MariaDB and Redis)")
	}
	out := t.TempDir()
	opt, err := parseArgs([]string{
		"--mysql-dsn", ts.MySQLDSN, "--redis", ts.RedisAddr, "--out", out,
		"--tasks", "120", "--duration", "1s", "--rate", "50", "--connections", "4",
		"--seed-workers", "4", "--deep-page", "3", "--pause", "100ms",
		// The production 870,000 iterations would make the login runs the
		// slowest part of a smoke test; the real bench keeps them.
		"--password-iterations", "1000",
	}, io.Discard, func() string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log strings.Builder
	rep, err := run(ctx, opt, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	// Every scenario in both modes but the login storm, which has its own
	// two fixed-rate runs.
	if want := (len(allScenarios) - 1) * 2; len(rep.Runs) != want {
		t.Errorf("runs = %d, want %d", len(rep.Runs), want)
	}
	if len(rep.Ceilings) != len(ceilingTitles) {
		t.Errorf("ceilings = %d, want %d", len(rep.Ceilings), len(ceilingTitles))
	}
	for _, r := range rep.Ceilings {
		if r.Summary.Requests == 0 || r.Summary.Errors != 0 {
			t.Errorf("%s: %d requests, errors %v %q", r.Title, r.Summary.Requests, r.Summary.ByStatus, r.Summary.Samples)
		}
	}
	for _, r := range rep.Runs {
		if r.Mode.Name == "max" && scenarioCeilings[r.Scenario] != nil && r.Fraction <= 0 {
			t.Errorf("%s: no fraction of its ceiling", r.Title)
		}
	}
	if st := rep.Storm; st == nil || st.During.Summary.Requests == 0 || st.Logins.Requests == 0 {
		t.Errorf("login storm = %+v", st)
	}
	for _, r := range rep.Runs {
		if r.Summary.Requests == 0 || r.Summary.Errors != 0 {
			t.Errorf("%s %s: %d requests, errors %v %q", r.Title, r.Mode, r.Summary.Requests, r.Summary.ByStatus, r.Summary.Samples)
		}
		if r.Usage.GlobalQueriesPerReq == nil || r.Usage.GlobalRedisPerReq == nil {
			t.Errorf("%s %s: global counters missing", r.Title, r.Mode)
		}
	}
	if rep.Keyset == nil || rep.Keyset.DeepPage != 3 || len(rep.Keyset.Pages) != 2 {
		t.Errorf("keyset = %+v, want pages 1 and 3", rep.Keyset)
	}
	if rep.PeakRSS == 0 {
		t.Error("no RSS measured")
	}
	for _, f := range []string{"latest.json", "latest.md"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	assertCleanedUp(t, ts, rep)
	t.Logf("harness output:\n%s", log.String())
}

// assertCleanedUp checks the bench left neither its database nor keys.
func assertCleanedUp(t *testing.T, ts testServices, rep *Report) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("mysql", ts.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", rep.Database).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 || rep.Database == "" {
		t.Errorf("database %q still exists", rep.Database)
	}
	rdb := redis.NewClient(&redis.Options{Addr: ts.RedisAddr})
	defer rdb.Close()
	keys, _, err := rdb.Scan(ctx, 0, rep.RedisPrefix+"*", 1000).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 || rep.RedisPrefix == "" {
		t.Errorf("redis keys left under %q: %d", rep.RedisPrefix, len(keys))
	}
}

// testServices are the servers CI provides (see Onit's .ci/run), read from
// the same variables Onit's own tests use.
type testServices struct {
	MySQLDSN, RedisAddr string
	Require             bool
}

func loadTestServices() testServices {
	req, _ := strconv.ParseBool(os.Getenv("ONIT_TEST_REQUIRE_SERVICES"))
	return testServices{MySQLDSN: os.Getenv("ONIT_TEST_MYSQL_DSN"), RedisAddr: os.Getenv("ONIT_TEST_REDIS_ADDR"), Require: req}
}
