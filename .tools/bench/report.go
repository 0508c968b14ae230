package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is everything one bench measured; it is written as JSON and
// rendered as Markdown.
type Report struct {
	Date               time.Time     `json:"date"`
	Machine            Machine       `json:"machine"`
	GoVersion          string        `json:"go_version"`
	MySQLVersion       string        `json:"mysql_version"`
	RedisVersion       string        `json:"redis_version"`
	Command            string        `json:"command"`
	Database           string        `json:"database"`     // created for the run, dropped after it
	RedisPrefix        string        `json:"redis_prefix"` // keys under it are deleted after the run
	Tasks              int           `json:"tasks"`
	Duration           time.Duration `json:"duration_ns"`
	Rate               int           `json:"rate"`
	Connections        int           `json:"connections"`
	PasswordIterations string        `json:"password_iterations"`
	SeedTime           time.Duration `json:"seed_time_ns"`
	LoadAverage        string        `json:"load_average_at_start"` // /proc/loadavg before the bench
	RedisPrivate       bool          `json:"redis_private"`         // a redis-server of the bench's own
	Ceilings           []Run         `json:"ceilings"`              // the ceiling program's runs
	Runs               []Run         `json:"runs"`
	Storm              *Storm        `json:"login_storm,omitempty"`
	Keyset             *Keyset       `json:"keyset,omitempty"`
	PeakRSS            uint64        `json:"peak_rss_bytes"`         // VmHWM over the server's life
	StartupRSS         uint64        `json:"startup_peak_rss_bytes"` // VmHWM when it first answered /readyz
	LoadPeakRSS        uint64        `json:"load_peak_rss_bytes"`    // peak after start-up (seeding and load)
	GoroutinesIdle     *int          `json:"goroutines_idle"`
	GoroutinesFinal    *int          `json:"goroutines_final"`
	GoroutineSource    string        `json:"goroutine_source"`
	Targets            []Target      `json:"targets"`
	Notes              []string      `json:"notes,omitempty"`
}

// Keyset compares the first page of the task list with a deep one.
type Keyset struct {
	Tasks    int   `json:"tasks"`
	Limit    int   `json:"limit"`
	DeepPage int   `json:"deep_page"` // the page reached (short lists end early)
	Pages    []Run `json:"pages"`     // first, then deep
}

// Target is one of the targets with its verdict.
type Target struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Status string `json:"status"` // met, missed, not measured
}

// Target verdicts.
const (
	met         = "met"
	missed      = "missed"
	notMeasured = "not measured"
)

// mb is the unit of the RSS target ("100 MB"), decimal as written.
const mb = 1_000_000

// budgetSlack forgives per-request averages a hair above a budget: the
// server's own /metrics scrapes read SHOW GLOBAL STATUS a few times per
// run, which spreads a handful of statements over thousands of requests.
const budgetSlack = 0.01

func findRun(runs []Run, key, mode string) *Run {
	for i := range runs {
		if runs[i].Scenario == key && runs[i].Mode.Name == mode {
			return &runs[i]
		}
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return met
	}
	return missed
}

// findCeiling is the ceiling program's run of key, nil when not measured.
func findCeiling(rep *Report, key string) *Run {
	for i := range rep.Ceilings {
		if rep.Ceilings[i].Scenario == key {
			return &rep.Ceilings[i]
		}
	}
	return nil
}

// attachFractions states every max run as a fraction of its ceiling (the
// first of scenarioCeilings that was measured).
func attachFractions(rep *Report) {
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if r.Mode.Name != "max" {
			continue
		}
		for _, ck := range scenarioCeilings[r.Scenario] {
			if c := findCeiling(rep, ck); c != nil && c.Summary.RPS > 0 {
				r.Ceiling, r.CeilingRPS, r.Fraction = ck, c.Summary.RPS, r.Summary.RPS/c.Summary.RPS
				break
			}
		}
	}
}

// warmRedisFree is the Redis commands per request below which GET one
// task counts as served without Redis (the cold first pass over the
// seeded tasks spreads a few misses over the run).
const warmRedisFree = 0.05

// fractionTarget is one "≥ x % of its ceiling" target of issue 13.
func fractionTarget(rep *Report, key, ceil, name string, want float64) Target {
	t := Target{Name: name + " vs " + strings.TrimPrefix(ceilingTitles[ceil], "ceiling: "), Want: fmt.Sprintf("≥ %.0f %% of the ceiling", want*100), Status: notMeasured}
	r, c := findRun(rep.Runs, key, "max"), findCeiling(rep, ceil)
	if r == nil || c == nil || c.Summary.RPS == 0 {
		return t
	}
	f := r.Summary.RPS / c.Summary.RPS
	t.Got = fmt.Sprintf("%s of %s req/s = %s", fmtInt(r.Summary.RPS), fmtInt(c.Summary.RPS), fmtPct(f))
	t.Status = verdict(f >= want)
	return t
}

// evaluate checks the issues' targets against the max-rate runs (they are
// stated for 32 connections going as fast as they can).
func evaluate(rep *Report) []Target {
	var out []Target
	// Issue 13: fractions of the same run's ceilings. GET one task's
	// ceiling is the JSON constant once warm reads cost no Redis command,
	// one Redis GET until then.
	if r := findRun(rep.Runs, scGetTask, "max"); r != nil && r.Usage.GlobalRedisPerReq != nil && *r.Usage.GlobalRedisPerReq < warmRedisFree {
		out = append(out, fractionTarget(rep, scGetTask, ceilJSON, "GET one task (warm reads Redis-free)", 0.50))
	} else {
		out = append(out, fractionTarget(rep, scGetTask, ceilRedis, "GET one task", 0.70))
	}
	out = append(out,
		fractionTarget(rep, scListTasks, ceilList, "GET task list (50)", 0.85),
		fractionTarget(rep, scPostTask, ceilInsert, "POST a task", 0.75),
		fractionTarget(rep, scGetMe, ceilJSON, "GET /api/v1/me", 0.80),
	)

	// Issue 7: latency at full load.
	latency := func(key, name string, p50, p99 time.Duration) {
		r := findRun(rep.Runs, key, "max")
		if r == nil {
			out = append(out, Target{Name: name + " p99", Want: "≤ " + fmtMs(p99), Status: notMeasured})
			return
		}
		s := r.Summary
		if p50 > 0 {
			out = append(out, Target{Name: name + " p50", Want: "≤ " + fmtMs(p50), Got: fmtMs(s.P50), Status: verdict(s.P50 <= p50)})
		}
		out = append(out, Target{Name: name + " p99", Want: "≤ " + fmtMs(p99), Got: fmtMs(s.P99), Status: verdict(s.P99 <= p99)})
	}
	latency(scGetTask, "GET one task", 2*time.Millisecond, 10*time.Millisecond)
	latency(scListTasks, "GET task list (50)", 0, 20*time.Millisecond)
	latency(scPostTask, "POST a task", 0, 25*time.Millisecond)

	errs, withErr := 0, []string{}
	all := slices.Clone(rep.Runs)
	if rep.Keyset != nil {
		all = append(all, rep.Keyset.Pages...)
	}
	for _, r := range all {
		if r.Summary.Errors > 0 {
			errs += r.Summary.Errors
			withErr = append(withErr, r.Title+" "+r.Mode.String())
		}
	}
	got := "0"
	if errs > 0 {
		got = fmt.Sprintf("%d (%s)", errs, strings.Join(withErr, "; "))
	}
	out = append(out, Target{Name: "errors in every scenario", Want: "0", Got: got, Status: verdict(errs == 0 && len(all) > 0)})

	out = append(out, mixTargets(rep)...)
	out = append(out, stormTarget(rep.Storm))

	out = append(out, Target{Name: "server peak RSS (whole run, VmHWM)", Want: "≤ 100 MB",
		Got:    fmt.Sprintf("%s (at start-up %s, from /readyz on %s)", fmtMB(rep.PeakRSS), fmtMB(rep.StartupRSS), fmtMB(rep.LoadPeakRSS)),
		Status: verdict(rep.PeakRSS > 0 && rep.PeakRSS <= 100*mb)})

	g := Target{Name: "goroutines back to idle after the load", Status: notMeasured}
	if rep.GoroutinesIdle != nil && rep.GoroutinesFinal != nil {
		g.Want = "≤ " + strconv.Itoa(*rep.GoroutinesIdle) + " (idle)"
		g.Got = strconv.Itoa(*rep.GoroutinesFinal)
		g.Status = verdict(*rep.GoroutinesFinal <= *rep.GoroutinesIdle)
		if !strings.HasPrefix(rep.GoroutineSource, "go_goroutines") {
			g.Got += " (" + rep.GoroutineSource + ")"
		}
	}
	out = append(out, g)

	out = append(out, keysetTarget(rep.Keyset))

	budget := func(key, name string, maxQ, maxR float64) {
		r := findRun(rep.Runs, key, "max")
		if r == nil {
			out = append(out, Target{Name: name + " budget (warm cache)", Want: fmt.Sprintf("≤ %g MySQL, ≤ %g Redis", maxQ, maxR), Status: notMeasured})
			return
		}
		q, qsrc := r.Usage.AppQueriesPerReq, ""
		if q == nil {
			q, qsrc = r.Usage.GlobalQueriesPerReq, " (global)"
		}
		// Redis: INFO commandstats (what ElastiCache charges) when the
		// bench has its own Redis; else the server's round trips.
		rd, rsrc := r.Usage.GlobalRedisPerReq, " commands"
		if !rep.RedisPrivate || rd == nil {
			rd, rsrc = r.Usage.AppRedisPerReq, " round trips"
		}
		t := Target{Name: name + " budget (warm cache)", Want: fmt.Sprintf("≤ %g MySQL, ≤ %g Redis", maxQ, maxR),
			Got: fmt.Sprintf("%s MySQL%s, %s Redis%s", fmtPer(q), qsrc, fmtPer(rd), rsrc)}
		switch {
		case q == nil || rd == nil:
			t.Status = notMeasured
		default:
			t.Status = verdict(*q <= maxQ+budgetSlack && *rd <= maxR+budgetSlack)
		}
		out = append(out, t)
	}
	// Issues 11 and 13: warm reads cost no Redis command; a create is one
	// statement, a PATCH at most two round trips; a write at most two
	// Redis commands including the invalidation.
	budget(scGetMe, "authenticated request (GET /me)", 0, 0)
	budget(scGetTask, "GET one task", 0, 0)
	budget(scListTasks, "GET task list (50)", 1, 0)
	budget(scPostTask, "POST a task", 1, 2)
	budget(scPatchTask, "PATCH a task", 2, 2)
	return out
}

// ecpuFleet is the fleet's Redis budget in production (ElastiCache
// Serverless, about one ECPU per simple command).
const ecpuFleet = 1000

// mixTargets are issue 11's Redis budget of the standard mix, with the
// MySQL statements beside it, and issue 13's peak RSS under the mix.
func mixTargets(rep *Report) []Target {
	rt := Target{Name: "standard mix: Redis commands per 1,000 requests", Want: "≤ 150 (fleet ceiling ≥ 6,500 req/s at 1,000 ECPU/s)", Status: notMeasured}
	mt := Target{Name: "standard mix: peak RSS", Want: "≤ 60 MB", Status: notMeasured}
	r := findRun(rep.Runs, scMix, "max")
	if r == nil {
		return []Target{rt, mt}
	}
	if c := r.Usage.GlobalRedisPerReq; c != nil {
		per := *c * 1000
		rt.Got = fmt.Sprintf("%.0f → fleet ceiling %s req/s", per, fmtFleet(*c))
		if q := r.Usage.AppQueriesPerReq; q != nil {
			rt.Got += fmt.Sprintf("; MySQL statements per 1,000: %.0f", *q*1000)
		}
		if !rep.RedisPrivate {
			rt.Got += " (shared Redis: other clients' commands included)"
		}
		rt.Status = verdict(per <= 150)
	}
	if r.PeakRSS > 0 {
		mt.Got, mt.Status = fmtMB(r.PeakRSS), verdict(r.PeakRSS <= 60*mb)
	}
	return []Target{rt, mt}
}

// fmtFleet is the request rate the fleet's Redis budget allows at c
// commands per request.
func fmtFleet(c float64) string {
	if c <= 0 {
		return "unbounded by Redis"
	}
	return fmtInt(ecpuFleet / c)
}

// stormTarget: GET one task's p99 during 64 concurrent logins at most
// three times its p99 without them, and no failed GET.
func stormTarget(st *Storm) Target {
	t := Target{Name: "login storm: GET one task p99 during 64 logins", Want: "≤ 3 × p99 without the storm, 0 errors", Status: notMeasured}
	if st == nil || st.Baseline.Summary.Requests == 0 || st.During.Summary.Requests == 0 {
		return t
	}
	b, d := st.Baseline.Summary, st.During.Summary
	ratio := float64(d.P99) / float64(max(b.P99, time.Microsecond))
	// The rate matters too: GETs queued behind hashing are sent late or
	// not at all (the load generator's workers wait), so a collapse shows
	// in req/s as much as in p99.
	t.Got = fmt.Sprintf("%s vs %s without (%.1f×) at %s vs %s req/s, %d errors (%s); logins answered %s", fmtMs(d.P99), fmtMs(b.P99), ratio,
		fmtInt(d.RPS), fmtInt(b.RPS), d.Errors, fmtErrors(d.ByStatus), stormLogins(st.Logins))
	t.Status = verdict(ratio <= 3 && d.Errors == 0)
	return t
}

// stormLogins summarises the storm's own logins by status.
func stormLogins(s Summary) string {
	byStatus := map[string]int{}
	for k, v := range s.ByStatus {
		byStatus[k] = v
	}
	if s.OK > 0 {
		byStatus["200"] = s.OK
	}
	return fmt.Sprintf("%s (p50 %s)", fmtErrors(byStatus), fmtMs(s.P50))
}

func fmtPct(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + " %" }

// keysetTarget: the deep page costs the same as the first when its
// throughput is within 20 % and its median latency within 25 % (plus a
// quarter millisecond, below which loopback noise dominates).
func keysetTarget(ks *Keyset) Target {
	t := Target{Name: "keyset pagination: page 100 costs what page 1 does", Want: "page 100 within 20 % of page 1 (req/s, p50)", Status: notMeasured}
	if ks == nil || len(ks.Pages) != 2 {
		return t
	}
	first, deep := ks.Pages[0].Summary, ks.Pages[1].Summary
	t.Got = fmt.Sprintf("page 1: %s req/s, p50 %s; page %d: %s req/s, p50 %s", fmtInt(first.RPS), fmtMs(first.P50),
		ks.DeepPage, fmtInt(deep.RPS), fmtMs(deep.P50))
	if ks.DeepPage < 100 {
		t.Got += fmt.Sprintf(" (only %d tasks: run with --tasks 100000)", ks.Tasks)
		return t
	}
	same := deep.RPS >= 0.8*first.RPS && deep.P50 <= first.P50+first.P50/4+250*time.Microsecond
	t.Status = verdict(same)
	return t
}

func fmtMs(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// fmtInt rounds and groups thousands with commas (25,000).
func fmtInt(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtMB(b uint64) string {
	if b == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(b)/mb, 'f', 1, 64) + " MB"
}

func fmtPer(f *float64) string {
	if f == nil {
		return "–"
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

func fmtCount(n *int) string {
	if n == nil {
		return "–"
	}
	return strconv.Itoa(*n)
}

// fmtErrors lists errors by status, most frequent first ("412×3, 503×1").
func fmtErrors(byStatus map[string]int) string {
	if len(byStatus) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(byStatus))
	for k := range byStatus {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if byStatus[a] != byStatus[b] {
			return byStatus[b] - byStatus[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, byStatus[k])
	}
	return strings.Join(parts, ", ")
}

func runRow(r Run) string {
	s := r.Summary
	frac := "–"
	if r.Ceiling != "" {
		frac = fmtPct(r.Fraction) + " of " + fmtInt(r.CeilingRPS)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s / %s | %s / %s | %s | %s → %s | %s | %s |",
		r.Title, r.Mode, fmtInt(s.RPS), frac, fmtMs(s.P50), fmtMs(s.P90), fmtMs(s.P99), fmtMs(s.Max),
		s.Requests, fmtErrors(s.ByStatus),
		fmtPer(r.Usage.AppQueriesPerReq), fmtPer(r.Usage.GlobalQueriesPerReq),
		fmtPer(r.Usage.AppRedisPerReq), fmtPer(r.Usage.GlobalRedisPerReq),
		fmtMB(r.PeakRSS), fmtCount(r.GoroutinesBefore), fmtCount(r.GoroutinesAfter), fmtCPU(r.CPU), fmtCPUPerRequest(r))
}

// fmtCPU is "load generator / server / whole machine" in cores.
func fmtCPU(c CPU) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	return f(c.LoadGen) + " / " + f(c.Server) + " / " + f(c.Busy)
}

// fmtCPUPerRequest is the measured process's CPU time per request in
// microseconds: less sensitive than req/s to what else the machine runs,
// so the clearest comparison of Onit with its ceiling on a busy machine.
func fmtCPUPerRequest(r Run) string {
	if r.Summary.RPS <= 0 || r.CPU.Server <= 0 {
		return "–"
	}
	return strconv.FormatFloat(r.CPU.Server/r.Summary.RPS*1e6, 'f', 0, 64) + " µs"
}

const runHeader = "| scenario | mode | req/s | of ceiling | p50 | p90 | p99 | max | requests | errors | MySQL q/req (app / global) | Redis/req (app trips / global cmds) | peak RSS | goroutines before → after | CPU cores: load gen / server / machine | server CPU / req |\n" +
	"|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|\n"

// markdown renders the report: context first (numbers mean nothing
// without the machine and settings), then the table, then the verdicts.
func markdown(rep *Report) string {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "# Onit load benchmark\n\n")
	fmt.Fprintf(&b, "- **Date:** %s\n", rep.Date.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- **Machine:** %d CPUs (%s), %.1f GiB RAM, %s", m.CPUs, m.CPUModel, float64(m.MemBytes)/(1<<30), m.OS)
	if m.Kernel != "" {
		fmt.Fprintf(&b, ", kernel %s", m.Kernel)
	}
	fmt.Fprintf(&b, "; load generator, server, MariaDB and Redis all on it\n")
	fmt.Fprintf(&b, "- **Software:** %s, MariaDB/MySQL %s, Redis %s\n", rep.GoVersion, rep.MySQLVersion, rep.RedisVersion)
	fmt.Fprintf(&b, "- **Command:** `%s`\n", rep.Command)
	fmt.Fprintf(&b, "- **Server:** the production binary, `ONIT_ENV=production` over plain HTTP on loopback; `ONIT_PASSWORD_ITERATIONS` %s; the per-client and per-account login throttles lifted (all load comes from one address and one account)\n", rep.PasswordIterations)
	fmt.Fprintf(&b, "- **Data:** 1 user, 1 project, %s tasks, seeded through the API in %s\n", fmtInt(float64(rep.Tasks)), rep.SeedTime.Round(time.Millisecond))
	fmt.Fprintf(&b, "- **Load:** vegeta, %d connections, %s per run; mode `%d/s` is a fixed rate, `max` as fast as the connections go\n",
		rep.Connections, rep.Duration, rep.Rate)
	redisKind := "shared with other clients (global counts include them)"
	if rep.RedisPrivate {
		redisKind = "a private redis-server started by the bench (INFO commandstats counts only Onit's commands)"
	}
	fmt.Fprintf(&b, "- **Redis:** %s; **machine load average before the bench:** %s\n\n", redisKind, orDash(rep.LoadAverage))

	if len(rep.Ceilings) > 0 {
		b.WriteString("## Ceilings (a bare echo v4 program doing only the irreducible I/O, same machine, same run)\n\n")
		b.WriteString(runHeader)
		for _, r := range rep.Ceilings {
			b.WriteString(runRow(r) + "\n")
		}
		b.WriteString("\n")
	}

	b.WriteString("## Results\n\n")
	b.WriteString(runHeader)
	for _, r := range rep.Runs {
		b.WriteString(runRow(r) + "\n")
	}
	b.WriteString("\n")

	if st := rep.Storm; st != nil {
		fmt.Fprintf(&b, "## Login storm (%d concurrent logins while GET one task runs at %d/s)\n\n", st.Workers, rep.Rate)
		b.WriteString(runHeader)
		b.WriteString(runRow(st.Baseline) + "\n" + runRow(st.During) + "\n\n")
		s := st.Logins
		fmt.Fprintf(&b, "The storm's logins: %d answered, %s/s, p50 %s, p99 %s; by status %s.\n\n", s.Requests, fmtInt(s.RPS), fmtMs(s.P50), fmtMs(s.P99), stormLogins(s))
	}

	if ks := rep.Keyset; ks != nil {
		fmt.Fprintf(&b, "## Keyset pagination (task list, limit %d, %s tasks)\n\n", ks.Limit, fmtInt(float64(ks.Tasks)))
		b.WriteString(runHeader)
		for _, r := range ks.Pages {
			b.WriteString(runRow(r) + "\n")
		}
		b.WriteString("\n")
	}

	b.WriteString("## Targets (issues 7, 11 and 13)\n\n| target | want | got | verdict |\n|---|---|---|---|\n")
	for _, t := range rep.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Want, orDash(t.Got), verdictCell(t.Status))
	}
	b.WriteString("\n## How to read it\n\n")
	fmt.Fprintf(&b, "- Server peak RSS over its whole life (VmHWM): %s; at start-up (when /readyz first answered): %s; from then to the end (sampled every 50 ms; start-up memory the Go runtime has not yet returned to the OS counts here too): %s. The per-run column is the sampled peak of that run.\n",
		fmtMB(rep.PeakRSS), fmtMB(rep.StartupRSS), fmtMB(rep.LoadPeakRSS))
	fmt.Fprintf(&b, "- Goroutines idle (after seeding, connections closed): %s; after the last run: %s (%s).\n",
		fmtCount(rep.GoroutinesIdle), fmtCount(rep.GoroutinesFinal), orDash(rep.GoroutineSource))
	b.WriteString("- **app** counts are the server's own (`/metrics`: statements through its MySQL adapter; Redis round trips, a pipeline counting once). " +
		"**global** counts are `SHOW GLOBAL STATUS` Questions and `INFO commandstats` calls deltas, minus the harness's own readings: they include every other client of the same MariaDB and Redis, so they are only exact on an otherwise idle machine.\n")
	b.WriteString("- Latencies are measured by the load generator, which shares the CPUs with the server; `max` runs find the throughput, `rate` runs show latency below saturation.\n")
	b.WriteString("- **of ceiling** is a max run's req/s over its ceiling's (the first ceiling listed for it). **CPU cores** are CPU seconds per wall second during the run: the load generator (this harness), the measured process (Onit, or the ceiling program on ceiling rows) and the whole machine (the rest is MariaDB, Redis and anything else running). **server CPU / req** divides the measured process's CPU by its requests: on a machine shared with other work it compares Onit with its ceiling more steadily than req/s.\n")
	for _, n := range rep.Notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("- Rerun with `go tool task bench` (add `-- --tasks 100000` for the large case); results land in `.bench/`.\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func verdictCell(s string) string {
	switch s {
	case met:
		return "✅ met"
	case missed:
		return "❌ missed"
	}
	return s
}

// printRun is the progress line of one finished run.
func printRun(w io.Writer, r Run) {
	s := r.Summary
	fmt.Fprintf(w, "%-26s %-8s %9s req/s  p50 %9s  p99 %9s  max %9s  n=%d errors=%s  mysql/req %s/%s  redis/req %s/%s  rss %s",
		r.Title, r.Mode, fmtInt(s.RPS), fmtMs(s.P50), fmtMs(s.P99), fmtMs(s.Max), s.Requests, fmtErrors(s.ByStatus),
		fmtPer(r.Usage.AppQueriesPerReq), fmtPer(r.Usage.GlobalQueriesPerReq),
		fmtPer(r.Usage.AppRedisPerReq), fmtPer(r.Usage.GlobalRedisPerReq), fmtMB(r.PeakRSS))
	if r.Stopped != "" {
		fmt.Fprintf(w, "  (stopped: %s)", r.Stopped)
	}
	fmt.Fprintln(w)
}

// write saves the report as JSON and Markdown under a timestamped name and
// as latest.json / latest.md.
func (b *bench) write() error {
	js, err := json.MarshalIndent(b.report, "", "  ")
	if err != nil {
		return err
	}
	md := markdown(b.report)
	name := "bench-" + b.report.Date.Format("20060102-150405")
	for _, f := range []struct {
		path string
		data []byte
	}{
		{name + ".json", js}, {name + ".md", []byte(md)},
		{"latest.json", js}, {"latest.md", []byte(md)},
	} {
		if err := os.WriteFile(filepath.Join(b.opt.Out, f.path), f.data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(b.log, "\n%s\nwrote %s.{json,md} and latest.{json,md} in %s\n", md, name, b.opt.Out)
	return nil
}
