package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	onitmysql "github.com/onitapp/onit/adapters/mysql"
)

// options are the harness's flags.
type options struct {
	Tasks       int
	Rate        int
	Duration    time.Duration
	Connections int
	MySQLDSN    string
	RedisAddr   string
	Out         string
	Scenarios   []string
	Modes       []string // "rate", "max"
	SeedWorkers int
	DeepPage    int
	Timeout     time.Duration
	Pause       time.Duration
	Iterations  int    // 0: the production default
	Quick       bool   // the quick subset (--quick)
	CPUProfile  bool   // --cpuprofile: a CPU profile of Onit during each max run (profile.go)
	Command     string // how the bench was invoked, for the report
}

// bench is one execution of the harness.
type bench struct {
	opt    options
	log    io.Writer
	srv    *server
	ceil   *server // the ceiling program
	probe  *probe
	rss    *rssSampler
	self   uint64 // Questions one SHOW GLOBAL STATUS adds by itself
	report *Report
}

// run does the whole job: build, start, seed, measure, write, clean up.
// Clean-up runs whatever happened before it, on a fresh context, so an
// interrupted bench still drops its database and keys.
func run(ctx context.Context, opt options, log io.Writer) (rep *Report, err error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(opt.Out) {
		opt.Out = filepath.Join(root, opt.Out)
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "onit-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	now := time.Now().UTC()
	stamp := fmt.Sprintf("%d", now.UnixNano())
	b := &bench{opt: opt, log: log, report: &Report{
		Date: now, Machine: readMachine(), GoVersion: runtime.Version(), Command: opt.Command,
		Tasks: opt.Tasks, Duration: opt.Duration, Rate: opt.Rate, Connections: opt.Connections,
		LoadAverage: loadAverage(),
	}}
	b.report.PasswordIterations = "870000 (production default)"
	if opt.Iterations > 0 {
		b.report.PasswordIterations = fmt.Sprintf("%d (lowered with --password-iterations)", opt.Iterations)
	}

	fmt.Fprintf(log, "building the production binary…\n")
	bin, err := buildServer(ctx, root, tmp, log)
	if err != nil {
		return nil, err
	}

	dbName := "onit_bench_" + stamp
	b.report.Database = dbName
	db, err := createDatabase(ctx, opt.MySQLDSN, dbName)
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if derr := db.drop(cctx); derr != nil {
			err = errors.Join(err, fmt.Errorf("removing the bench database %s: %w", dbName, derr))
		} else {
			fmt.Fprintf(log, "dropped database %s\n", dbName)
		}
	}()
	if b.report.MySQLVersion, err = onitmysql.ServerOf(db.admin).Version(ctx); err != nil {
		return nil, err
	}

	if opt.RedisAddr == privateRedis {
		rp, err := startRedis(ctx, tmp, log)
		if err != nil {
			return nil, err
		}
		defer rp.stop()
		opt.RedisAddr, b.opt.RedisAddr = rp.addr, rp.addr
		b.report.RedisPrivate = true
		fmt.Fprintf(log, "private redis-server on %s\n", rp.addr)
	}
	prefix := "onit_bench_" + stamp + ":"
	b.report.RedisPrefix = prefix
	rdb := redis.NewClient(&redis.Options{Addr: opt.RedisAddr, PoolSize: 2, DisableIdentity: true})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis %s: %w", opt.RedisAddr, err)
	}
	b.report.RedisVersion = redisVersion(ctx, rdb)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		n, derr := deleteRedisKeys(cctx, rdb, prefix)
		if derr != nil {
			err = errors.Join(err, fmt.Errorf("delete redis keys %s*: %w", prefix, derr))
		} else {
			fmt.Fprintf(log, "deleted %d redis keys under %s\n", n, prefix)
		}
	}()

	logPath := filepath.Join(opt.Out, "server-"+now.Format("20060102-150405")+".log")
	b.srv, err = startServer(ctx, serverConfig{
		bin: bin, workDir: tmp, logPath: logPath, mysqlDSN: db.dsn, redisAddr: opt.RedisAddr,
		redisPrefix: prefix, metricsToken: randomString(40), iterations: opt.Iterations, pprof: opt.CPUProfile,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "server up on %s (pid %d, log %s)\n", b.srv.base, b.srv.pid(), logPath)
	defer func() {
		if serr := b.srv.stop(); serr != nil {
			err = errors.Join(err, serr)
		} else {
			fmt.Fprintf(log, "server stopped (SIGTERM)\n")
		}
	}()

	ceilDSN, err := mysql.ParseDSN(db.dsn)
	if err != nil {
		return nil, err
	}
	ceilDSN.ParseTime = true
	b.ceil, err = startCeiling(ctx, ceilingConfig{workDir: tmp, logPath: filepath.Join(opt.Out, "ceiling-"+now.Format("20060102-150405")+".log"),
		mysqlDSN: ceilDSN.FormatDSN(), redisAddr: opt.RedisAddr, prefix: prefix + "ceiling:task:"})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "ceiling program up on %s (pid %d)\n", b.ceil.base, b.ceil.pid())
	defer func() {
		if serr := b.ceil.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("ceiling program: %w", serr))
		}
	}()

	sctx, stopSampler := context.WithCancel(ctx)
	defer stopSampler()
	b.rss = &rssSampler{pid: b.srv.pid(), interval: 50 * time.Millisecond}
	// VmHWM now is the start-up peak (migrations, the password list):
	// reported apart from the peak under load so a miss can be explained.
	b.rss.sample()
	b.report.StartupRSS = b.rss.hwm()
	go b.rss.run(sctx)

	b.probe = &probe{db: db.admin, rdb: rdb, metricsURL: b.srv.base + "/metrics", metricsTok: b.srv.metricsTok,
		client: &http.Client{Timeout: 5 * time.Second}}
	if b.self, err = b.probe.calibrate(ctx); err != nil {
		return nil, err
	}

	if err := b.measure(ctx, stamp); err != nil {
		return b.report, err
	}
	attachFractions(b.report)
	b.report.PeakRSS = b.rss.hwm()
	b.report.LoadPeakRSS = b.rss.sampledPeak()
	if b.report.PeakRSS > b.report.StartupRSS {
		// The peak was set after start-up, so VmHWM is its exact value
		// (sampling can miss a short spike).
		b.report.LoadPeakRSS = max(b.report.LoadPeakRSS, b.report.PeakRSS)
	}
	b.report.Targets = evaluate(b.report)
	return b.report, b.write()
}

func (o *options) validate() error {
	switch {
	case o.Tasks < 1:
		return errors.New("--tasks must be at least 1")
	case o.Rate < 1:
		return errors.New("--rate must be at least 1")
	case o.Duration <= 0 || o.Duration > time.Hour:
		return errors.New("--duration must be between 0 and 1h")
	case o.Connections < 1 || o.Connections > 4096:
		return errors.New("--connections must be between 1 and 4096")
	case o.SeedWorkers < 1:
		return errors.New("--seed-workers must be at least 1")
	case o.DeepPage < 0:
		return errors.New("--deep-page must not be negative")
	}
	for _, m := range o.Modes {
		if m != "rate" && m != "max" {
			return fmt.Errorf("unknown mode %q (want rate or max)", m)
		}
	}
	for _, s := range o.Scenarios {
		if _, ok := scenarioTitles[s]; !ok {
			return fmt.Errorf("unknown scenario %q (want %s)", s, strings.Join(allScenarios, ", "))
		}
	}
	host := o.RedisAddr
	if host == privateRedis {
		return nil
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if host != "127.0.0.1" && host != "localhost" {
		return fmt.Errorf("--redis %q is not on loopback", o.RedisAddr)
	}
	return nil
}

// measure seeds, then runs every scenario in every mode and the keyset
// comparison.
func (b *bench) measure(ctx context.Context, stamp string) error {
	a := newAPI(b.srv.base, b.opt.SeedWorkers)
	defer a.close()
	fmt.Fprintf(b.log, "seeding 1 user, 1 project, %d tasks with %d concurrent POSTs…\n", b.opt.Tasks, b.opt.SeedWorkers)
	fx, err := seed(ctx, a, b.opt.Tasks, b.opt.SeedWorkers, stamp)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	b.report.SeedTime = fx.SeedTime
	fmt.Fprintf(b.log, "seeded in %s\n", fx.SeedTime.Round(time.Millisecond))

	// Cursor of the deep page first: walking it is set-up, not measured.
	var deepCursor string
	deepReached := 0
	if b.opt.DeepPage > 1 {
		deepCursor, deepReached, err = cursorOfPage(ctx, a, fx.ProjectID, 50, b.opt.DeepPage)
		if err != nil {
			return fmt.Errorf("walk to page %d: %w", b.opt.DeepPage, err)
		}
	}
	a.close()

	refresh := func(ctx context.Context, id int64) (string, error) {
		h, err := a.do(ctx, http.MethodGet, "/api/v1/tasks/"+fmt.Sprint(id), nil, nil, http.StatusOK)
		if err != nil {
			return "", err
		}
		return h.Get("ETag"), nil
	}
	set := newScenarioSet(b.srv.base, fx, refresh)
	cs, err := b.ceilingSet(ctx, a, fx)
	if err != nil {
		return err
	}

	// Let the server end the seeding connections' goroutines first.
	sleepCtx(ctx, time.Second)
	idle, src := b.settledGoroutines(ctx, nil)
	b.report.GoroutinesIdle, b.report.GoroutineSource = idle, src

	measured := map[string]bool{}
	for _, key := range b.opt.Scenarios {
		if key == scStorm {
			if b.report.Storm, err = b.loginStorm(ctx, set); err != nil {
				return err
			}
			continue
		}
		sc, err := set.get(key)
		if err != nil {
			return err
		}
		// Each ceiling is measured right before the first scenario that
		// is compared with it, so both see the machine in the same state.
		if slices.Contains(b.opt.Modes, "max") {
			for _, ck := range scenarioCeilings[key] {
				if measured[ck] {
					continue
				}
				measured[ck] = true
				r, err := b.runOn(ctx, b.ceil, cs.scenario(ck), ceilingTitles[ck], Mode{Name: "max"})
				if err != nil {
					return err
				}
				r.Scenario = ck
				b.report.Ceilings = append(b.report.Ceilings, r)
				printRun(b.log, r)
			}
		}
		for _, m := range b.opt.Modes {
			mode := Mode{Name: m}
			if m == "rate" {
				mode.Rate = b.opt.Rate
			}
			r, err := b.runOne(ctx, sc, scenarioTitles[key], mode)
			if err != nil {
				return err
			}
			if key == scPatchTask || key == scMix {
				var lost int
				r.ExtraRequests, lost = set.pool.takeRefreshes()
				if r.ExtraRequests > 0 {
					b.report.Notes = append(b.report.Notes, fmt.Sprintf("PATCH %s: %d failed PATCHes were followed by a GET to re-read the ETag (%d tasks dropped); those GETs are in the server's counters but not in the request count.", mode, r.ExtraRequests, lost))
				}
			}
			b.report.Runs = append(b.report.Runs, r)
			printRun(b.log, r)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}

	if b.opt.DeepPage > 1 && deepReached < 2 {
		b.report.Notes = append(b.report.Notes, fmt.Sprintf("Keyset comparison skipped: %d tasks fill only one page of 50.", b.opt.Tasks))
	}
	if b.opt.DeepPage > 1 && deepReached >= 2 {
		ks := &Keyset{Limit: 50, DeepPage: deepReached, Tasks: b.opt.Tasks}
		first := set.fixedGet(scListTasks, b.srv.base+listPath(fx.ProjectID, 50, ""))
		deep := set.fixedGet(scListTasks, b.srv.base+listPath(fx.ProjectID, 50, deepCursor))
		for _, p := range []struct {
			sc   scenario
			page int
		}{{first, 1}, {deep, deepReached}} {
			r, err := b.runOne(ctx, p.sc, fmt.Sprintf("task list page %d", p.page), Mode{Name: "max"})
			if err != nil {
				return err
			}
			printRun(b.log, r)
			ks.Pages = append(ks.Pages, r)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		b.report.Keyset = ks
	}

	final, _ := b.settledGoroutines(ctx, idle)
	b.report.GoroutinesFinal = final
	return nil
}

// runOne measures one scenario in one mode with the server's counters
// read on either side.
func (b *bench) runOne(ctx context.Context, sc scenario, title string, mode Mode) (Run, error) {
	return b.runOn(ctx, b.srv, sc, title, mode)
}

// runOn is runOne against a given process (Onit or the ceiling program),
// whose CPU time is the run's server CPU.
func (b *bench) runOn(ctx context.Context, srv *server, sc scenario, title string, mode Mode) (Run, error) {
	if !srv.alive() {
		return Run{}, fmt.Errorf("server exited (log: %s)", srv.logPath)
	}
	r := Run{Scenario: sc.key, Title: title, Mode: mode}
	before, err := b.probe.read(ctx)
	if err != nil {
		return r, err
	}
	r.GoroutinesBefore = intPtr(before.Goroutines)
	b.rss.takePeak()
	c0 := takeCPU(srv.pid())
	prof := b.startProfile(ctx, srv, sc, mode) // profile.go; nil unless --cpuprofile
	r.Summary, r.Stopped = attack(ctx, sc, mode, b.opt.Duration, b.opt.Connections, b.opt.Timeout)
	r.CPU = cpuSince(c0, takeCPU(srv.pid()))
	r.Profile = prof.wait()
	after, err := b.probe.read(ctx)
	if err != nil {
		return r, err
	}
	r.PeakRSS = b.rss.takePeak()
	r.Usage = usage(before, after, r.Summary.Requests, b.self)
	// The load's connections are closed by now; give the server a moment
	// to end their goroutines before counting.
	r.GoroutinesAfter, _ = b.settledGoroutines(ctx, r.GoroutinesBefore)
	sleepCtx(ctx, b.opt.Pause)
	return r, nil
}

// settledGoroutines polls the goroutine count for up to 5 s until it is no
// higher than want (when given), and returns the last count and where it
// came from. Without /metrics it falls back to the OS thread count, which
// is not the same thing, and says so.
func (b *bench) settledGoroutines(ctx context.Context, want *int) (*int, string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := b.probe.read(ctx)
		if err == nil && c.Goroutines != nil {
			n := int(*c.Goroutines)
			if want == nil || n <= *want || time.Now().After(deadline) || ctx.Err() != nil {
				return &n, "go_goroutines from /metrics"
			}
		} else {
			st, perr := readProcStatus(b.srv.pid())
			if perr != nil {
				return nil, "unavailable"
			}
			n := st.Threads
			if want == nil || n <= *want || time.Now().After(deadline) || ctx.Err() != nil {
				return &n, "OS threads from /proc (no /metrics: goroutines unavailable)"
			}
		}
		sleepCtx(ctx, 250*time.Millisecond)
	}
}

func intPtr(f *float64) *int {
	if f == nil {
		return nil
	}
	n := int(*f)
	return &n
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func redisVersion(ctx context.Context, rdb *redis.Client) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

// onitModule is the module line of Onit's go.mod, which the harness looks
// for: its own go.mod (.tools/bench) is on the way up and is not the one.
const onitModule = "module github.com/onitapp/onit\n"

// moduleRoot is the directory holding Onit's go.mod, found upwards from the
// working directory (go run and go test start in .tools/bench).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 { // bounded: no path is this deep
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), onitModule) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("the go.mod of Onit not found above the working directory; run `go tool task bench` from the repository")
}

// ceilingSet prepares the ceiling scenarios: the seeded user's ID (the
// INSERT's created_by) and, for the Redis GET ceiling, one key per task
// holding that task's JSON as Onit serves it.
func (b *bench) ceilingSet(ctx context.Context, a *api, fx *fixture) (*ceilingSet, error) {
	var me struct {
		ID int64 `json:"id"`
	}
	a.token = fx.User.Token
	if _, err := a.do(ctx, http.MethodGet, "/api/v1/me", nil, &me, http.StatusOK); err != nil {
		return nil, err
	}
	var body json.RawMessage
	if _, err := a.do(ctx, http.MethodGet, "/api/v1/tasks/"+strconv.FormatInt(fx.Tasks[0].ID, 10), nil, &body, http.StatusOK); err != nil {
		return nil, err
	}
	a.close()
	if err := seedCeilingKeys(ctx, b.probe.rdb, b.report.RedisPrefix+"ceiling:task:", fx.Tasks, body); err != nil {
		return nil, err
	}
	return &ceilingSet{base: b.ceil.base, fx: fx, auth: http.Header{"Authorization": {"Bearer " + fx.User.Token}},
		projectID: fx.ProjectID, userID: me.ID}, nil
}
