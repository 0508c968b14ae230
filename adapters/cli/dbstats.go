package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// Thresholds of dbstats: the ops team's "when it's a concern" for the RDS
// metrics, translated to what the server itself reports.
const (
	connectionsWarn  = 0.8   // share of max_connections in use
	queueDepthWarn   = 2     // pending InnoDB reads + writes (DiskQueueDepth > 2-3)
	hitRatioWarn     = 0.99  // buffer pool hit ratio below this: working set > pool
	roundTripWarn    = 5e-3  // seconds; "latency above a few ms"
	networkShareWarn = 0.8   // share of the instance's baseline bandwidth
	iopsShareWarn    = 0.8   // share of the volume's baseline IOPS
	bytesPerMbit     = 125e3 // 1 Mbit/s in bytes per second
)

// dbstatsOptions are the instance's capacities the verdicts compare with.
type dbstatsOptions struct {
	VCPUs        int     // db.t4g.micro: 2
	IOPS         float64 // the volume's baseline IOPS (gp3: 3000)
	NetworkMbit  float64 // baseline bandwidth in Mbit/s (t4g.micro: 64)
	PoolBudget   int     // ONIT_MYSQL_MAX_OPEN_CONNS × ONIT_MYSQL_EXPECTED_INSTANCES
	ServerBudget int     // ONIT_MYSQL_SERVER_MAX_CONNECTIONS
}

// dbSignal is one line of the report.
type dbSignal struct {
	Name, Value, Concern, Verdict string
}

// Verdicts.
const (
	verdictOK   = "OK"
	verdictWarn = "WARN"
	verdictNone = "-" // no data, or nothing to judge against
)

func verdict(warn bool) string {
	if warn {
		return verdictWarn
	}
	return verdictOK
}

// cloudWatchOnly are the RDS metrics the database cannot see from inside:
// named, with their thresholds, never approximated.
var cloudWatchOnly = []struct{ name, concern string }{
	{"CPUUtilization", "> 80-90 % sustained (threads running above is the in-database hint)"},
	{"CPUCreditBalance", "near 0: a t4g instance is throttled to its baseline"},
	{"FreeableMemory", "< about 10 % of the instance's memory (db.t4g.micro: 1 GiB)"},
	{"SwapUsage", "above 0 and growing"},
	{"ReadLatency / WriteLatency", "> a few ms (the app's side: onit_db_query_duration_seconds on /metrics)"},
	{"FreeStorageSpace", "< 10 % of the allocated storage"},
}

// evaluateDB turns two readings of the server into the report's signals:
// gauges from cur, per-second rates from the difference. rtt is a
// measured round trip (0: not measured).
func evaluateDB(prev, cur ServerStatus, rtt time.Duration, o dbstatsOptions) []dbSignal {
	st, vars := cur.Status, cur.Variables
	get := func(m map[string]float64, k string) (float64, bool) { v, ok := m[k]; return v, ok }
	secs := cur.At.Sub(prev.At).Seconds()
	rate := func(k string) (float64, bool) {
		a, ok1 := prev.Status[k]
		b, ok2 := cur.Status[k]
		if !ok1 || !ok2 || secs <= 0 {
			return 0, false
		}
		return math.Max(b-a, 0) / secs, true
	}
	var out []dbSignal
	add := func(name, value, concern, v string) {
		out = append(out, dbSignal{Name: name, Value: value, Concern: concern, Verdict: v})
	}
	na := func(name, concern string) { add(name, "n/a", concern, verdictNone) }

	// SHOW GLOBAL STATUS itself runs in one thread: not load.
	if v, ok := get(st, "threads_running"); ok {
		running := math.Max(v-1, 0)
		add("threads running", fmt.Sprintf("%.0f (excluding this session)", running),
			fmt.Sprintf("> %d (the vCPUs) sustained: CPU saturated", o.VCPUs), verdict(running > float64(o.VCPUs)))
	} else {
		na("threads running", "> vCPUs sustained")
	}

	connected, okC := get(st, "threads_connected")
	maxConns, okM := get(vars, "max_connections")
	if okC && okM && maxConns > 0 {
		add("connections", fmt.Sprintf("%.0f of %.0f max_connections (%.0f %%)", connected, maxConns, 100*connected/maxConns),
			fmt.Sprintf("≥ %.0f %% of max_connections", 100*connectionsWarn), verdict(connected >= connectionsWarn*maxConns))
	} else {
		na("connections", "≥ 80 % of max_connections")
	}
	if peak, ok := get(st, "max_used_connections"); ok && okM && maxConns > 0 {
		add("connections peak", fmt.Sprintf("%.0f since the server started", peak),
			fmt.Sprintf("≥ %.0f %% of max_connections", 100*connectionsWarn), verdict(peak >= connectionsWarn*maxConns))
	}
	if okM {
		add("Onit's pool budget", fmt.Sprintf("%d (pool × instances) of %d budgeted, server allows %.0f", o.PoolBudget, o.ServerBudget, maxConns),
			"> budget or > max_connections", verdict(o.PoolBudget > o.ServerBudget || float64(o.PoolBudget) > maxConns))
	}

	pr, ok1 := get(st, "innodb_data_pending_reads")
	pw, ok2 := get(st, "innodb_data_pending_writes")
	if ok1 && ok2 {
		add("disk queue depth", fmt.Sprintf("%.0f (pending reads %.0f, writes %.0f)", pr+pw, pr, pw),
			fmt.Sprintf("> %d sustained (DiskQueueDepth)", queueDepthWarn), verdict(pr+pw > queueDepthWarn))
	} else {
		na("disk queue depth", "> 2 sustained")
	}

	rr, ok1 := rate("innodb_data_reads")
	wr, ok2 := rate("innodb_data_writes")
	if ok1 && ok2 {
		add("IOPS", fmt.Sprintf("%.1f/s (reads %.1f, writes %.1f)", rr+wr, rr, wr),
			fmt.Sprintf("> %.0f %% of the volume's %.0f baseline (TotalIOPS)", 100*iopsShareWarn, o.IOPS), verdict(rr+wr > iopsShareWarn*o.IOPS))
	} else {
		na("IOPS", "near the volume's baseline")
	}

	in, ok1 := rate("bytes_received")
	outB, ok2 := rate("bytes_sent")
	if ok1 && ok2 {
		mbit := (in + outB) / bytesPerMbit
		add("network", fmt.Sprintf("%.2f Mbit/s (in %s/s, out %s/s)", mbit, humanBytes(in), humanBytes(outB)),
			fmt.Sprintf("> %.0f %% of the %.0f Mbit/s baseline", 100*networkShareWarn, o.NetworkMbit), verdict(mbit > networkShareWarn*o.NetworkMbit))
	} else {
		na("network", "near the instance's baseline bandwidth")
	}

	free, ok1 := get(st, "innodb_buffer_pool_pages_free")
	total, ok2 := get(st, "innodb_buffer_pool_pages_total")
	reqs, ok3 := rate("innodb_buffer_pool_read_requests")
	misses, ok4 := rate("innodb_buffer_pool_reads")
	waits, ok5 := rate("innodb_buffer_pool_wait_free")
	if ok1 && ok2 && total > 0 {
		hit := 1.0
		if ok3 && ok4 && reqs > 0 {
			hit = 1 - misses/reqs
		}
		add("buffer pool", fmt.Sprintf("%.0f %% free (%.0f of %.0f pages), hit ratio %.2f %%", 100*free/total, free, total, 100*hit),
			fmt.Sprintf("hit ratio < %.0f %% or waits for free pages (memory pressure)", 100*hitRatioWarn),
			verdict(hit < hitRatioWarn || (ok5 && waits > 0)))
	} else {
		na("buffer pool", "hit ratio < 99 %")
	}

	if total, ok := get(st, "slow_queries"); ok {
		r, _ := rate("slow_queries")
		add("slow queries", fmt.Sprintf("%.2f/s now, %.0f since the server started", r, total),
			"any during the interval (> long_query_time)", verdict(r > 0))
	} else {
		na("slow queries", "any during the interval")
	}

	if q, ok := rate("questions"); ok {
		add("queries", fmt.Sprintf("%.1f/s", q), "(for context)", verdictNone)
	}

	if rtt > 0 {
		add("round trip", fmt.Sprintf("%.2f ms (SELECT 1)", float64(rtt.Microseconds())/1000),
			fmt.Sprintf("> %.0f ms (network and server latency)", roundTripWarn*1000), verdict(rtt.Seconds() > roundTripWarn))
	}
	return out
}

func humanBytes(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// writeDBStats prints one report.
func writeDBStats(w io.Writer, header string, sigs []dbSignal) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n\n", header)
	fmt.Fprintln(tw, "SIGNAL\tVALUE\tCONCERN WHEN\tVERDICT")
	for _, s := range sigs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Value, s.Concern, s.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nNot visible from the database: see CloudWatch for")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cloudWatchOnly {
		fmt.Fprintf(tw, "  %s\tconcern when %s\n", c.name, c.concern)
	}
	return tw.Flush()
}

// dbstatsCommand prints the MySQL server's signals for a person: the same
// ones /metrics exports, each with its threshold and a verdict.
func dbstatsCommand() *command {
	var watch, interval time.Duration
	var vcpus int
	var iops, netMbit float64
	return &command{
		name:     "dbstats",
		synopsis: "[--watch DURATION] [--interval DURATION] [--vcpus N] [--iops N] [--network-mbit N]",
		summary:  "MySQL server signals with thresholds and OK/WARN verdicts",
		flags: func(fs *flagSet) {
			fs.DurationVar(&watch, "watch", 0, "refresh every DURATION until interrupted (0: print once)")
			fs.DurationVar(&interval, "interval", time.Second, "sampling interval of the per-second rates when printing once")
			fs.IntVar(&vcpus, "vcpus", 2, "vCPUs of the database instance (db.t4g.micro: 2)")
			fs.Float64Var(&iops, "iops", 3000, "baseline IOPS of the volume (gp3: 3000)")
			fs.Float64Var(&netMbit, "network-mbit", 64, "baseline network bandwidth of the instance in Mbit/s (db.t4g.micro: about 64)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			switch {
			case watch < 0:
				return inv.usageError("--watch must not be negative")
			case interval <= 0:
				return inv.usageError("--interval must be positive")
			case vcpus < 1 || iops <= 0 || netMbit <= 0:
				return inv.usageError("--vcpus, --iops and --network-mbit must be positive")
			}
			db, release, err := inv.backend().DatabaseServer(ctx)
			if err != nil {
				return err
			}
			defer release()
			pool, server := db.Budget()
			opts := dbstatsOptions{VCPUs: vcpus, IOPS: iops, NetworkMbit: netMbit, PoolBudget: pool, ServerBudget: server}
			return dbstats(ctx, inv.stdio.Out, db, opts, watch, interval)
		},
	}
}

func dbstats(ctx context.Context, w io.Writer, db DatabaseServer, opts dbstatsOptions, watch, interval time.Duration) error {
	step := interval
	if watch > 0 {
		step = watch
	}
	name := db.Describe(ctx)
	prev, err := db.ReadStatus(ctx)
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil // interrupted: --watch ends this way
		case <-time.After(step):
		}
		cur, err := db.ReadStatus(ctx)
		if err != nil {
			// Interrupted while reading (--watch ends this way): not a failure.
			return ignoreCancel(ctx, err)
		}
		rtt, _ := db.RoundTrip(ctx) // 0 on failure: the line is left out
		header := fmt.Sprintf("%s, %s, rates over %s", name, cur.At.UTC().Format(time.RFC3339), cur.At.Sub(prev.At).Round(time.Millisecond))
		sigs := evaluateDB(prev, cur, rtt, opts)
		if rep := db.Replica(ctx); rep.Configured {
			sigs = append(sigs, replicaSignal(rep))
		}
		if err := writeDBStats(w, header, sigs); err != nil {
			return err
		}
		if watch == 0 {
			return nil
		}
		fmt.Fprintln(w)
		prev = cur
	}
}

// replicaSignal is the read replica's line: its lag against the threshold
// above which Onit reads from the primary instead.
func replicaSignal(r ReplicaReading) dbSignal {
	concern := fmt.Sprintf("> %s (ONIT_MYSQL_REPLICA_MAX_LAG): reads go to the primary", r.MaxLag)
	if r.Err != nil {
		return dbSignal{Name: "Read replica lag", Value: "unavailable: " + r.Err.Error(), Concern: concern, Verdict: verdict(true)}
	}
	return dbSignal{Name: "Read replica lag", Value: r.Lag.String(), Concern: concern, Verdict: verdict(r.Lag > r.MaxLag)}
}

// ignoreCancel drops err when ctx was cancelled: the operator stopped the
// command, nothing failed.
func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil //nolint:nilerr // cancelled by the operator, not a failure
	}
	return err
}
