// Command bench is Onit's load harness (`go tool task bench`), a module of
// its own under .tools/bench so its load generator's dependencies stay out
// of the product's go.mod. It builds
// the production binary, starts it against the local MariaDB and Redis with
// production settings over plain HTTP on loopback, seeds one user, one
// project and --tasks tasks through the public API, and drives each
// scenario with vegeta at a fixed rate and at the highest rate --connections
// sustain. It prints the results and writes them as JSON and a Markdown
// table into .bench/, then stops the server and removes its database and
// Redis keys.
//
// It only ever talks to 127.0.0.1, and every loop in it is bounded in
// count or time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// defaultMySQLDSN is the CI user of .ci/run; the database name is ignored
// (the bench creates its own).
const defaultMySQLDSN = "onit_ci:onit_ci@tcp(127.0.0.1:3306)/"

// mysqlDSNVar names the environment variable that overrides the default DSN.
const mysqlDSNVar = "ONIT_BENCH_MYSQL_DSN"

func main() {
	if addr := os.Getenv(ceilingAddrVar); addr != "" {
		os.Exit(ceilingMain(addr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := mainCode(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func mainCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opt, err := parseArgs(args, stderr, benchDSNFromEnv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	if _, err := run(ctx, opt, stdout); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// benchDSNFromEnv reads ONIT_BENCH_MYSQL_DSN. The harness is its own
// module (so vegeta stays out of Onit's go.mod) and reads its three
// variables itself rather than importing Onit's env package.
func benchDSNFromEnv() string { return os.Getenv(mysqlDSNVar) }

// parseArgs reads the flags; dsnFromEnv is consulted only when --mysql-dsn
// is not given.
func parseArgs(args []string, stderr io.Writer, dsnFromEnv func() string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenarios, modes string
	fs.IntVar(&o.Tasks, "tasks", 1000, "tasks to seed in the project (100000 for the large case)")
	fs.IntVar(&o.Rate, "rate", 1000, "requests per second of the fixed-rate runs")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each run")
	fs.IntVar(&o.Connections, "connections", 32, "concurrent connections (and vegeta workers) of each run")
	fs.StringVar(&o.MySQLDSN, "mysql-dsn", "", "MariaDB server DSN; a fresh database onit_bench_<time> is created on it (default $"+mysqlDSNVar+" or "+defaultMySQLDSN+")")
	fs.StringVar(&o.RedisAddr, "redis", privateRedis, "Redis address, or "+privateRedis+": a redis-server of the bench's own on a free port, so INFO commandstats counts only Onit's commands; keys go under a unique prefix and are deleted afterwards")
	fs.StringVar(&o.Out, "out", ".bench", "output folder, relative to the module root (git-ignored)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run")
	fs.StringVar(&modes, "modes", "rate,max", "comma-separated modes: rate (fixed --rate) and max (as fast as --connections go)")
	fs.IntVar(&o.SeedWorkers, "seed-workers", 16, "concurrent POSTs while seeding")
	fs.IntVar(&o.DeepPage, "deep-page", 100, "task-list page compared with page 1 (keyset pagination); 0 skips it")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "client timeout of one request")
	fs.DurationVar(&o.Pause, "pause", time.Second, "pause between runs, so one run's tail does not colour the next")
	fs.IntVar(&o.Iterations, "password-iterations", 0, "override ONIT_PASSWORD_ITERATIONS (0: the production default, so login measures the real cost)")
	fs.BoolVar(&o.CPUProfile, "cpuprofile", false, "serve the server's net/http/pprof on loopback and save a CPU profile of each of its max runs as cpu-<scenario>.pprof in --out (go tool pprof -top <file>: Go profiles carry their symbols)")
	fs.BoolVar(&o.Quick, "quick", false, "the quick subset for re-measuring: "+strings.Join(quickScenarios, ",")+" at max rate only, 5s each, no keyset comparison (flags given explicitly still win)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["scenarios"] {
			scenarios = strings.Join(quickScenarios, ",")
		}
		if !set["modes"] {
			modes = "max"
		}
		if !set["duration"] {
			o.Duration = 5 * time.Second
		}
		if !set["deep-page"] {
			o.DeepPage = 0
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.MySQLDSN == "" {
		o.MySQLDSN = dsnFromEnv()
	}
	if o.MySQLDSN == "" {
		o.MySQLDSN = defaultMySQLDSN
	}
	o.Scenarios = splitList(scenarios)
	o.Modes = splitList(modes)
	o.Command = strings.TrimSpace("go tool task bench -- " + strings.Join(redactArgs(args), " "))
	if len(args) == 0 {
		o.Command = "go tool task bench"
	}
	return o, o.validate()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// redactArgs hides a DSN's password in the command line the report shows.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	hide := false
	for i, a := range args {
		switch {
		case hide:
			out[i], hide = "'<dsn>'", false
		case a == "--mysql-dsn" || a == "-mysql-dsn":
			out[i], hide = a, true
		case strings.HasPrefix(a, "--mysql-dsn=") || strings.HasPrefix(a, "-mysql-dsn="):
			out[i] = a[:strings.IndexByte(a, '=')+1] + "'<dsn>'"
		default:
			out[i] = a
		}
	}
	return out
}
