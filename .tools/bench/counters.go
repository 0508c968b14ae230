package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	onitmysql "github.com/onitapp/onit/adapters/mysql"
)

// statusNames are the SHOW GLOBAL STATUS counters read around each run.
// Questions is the headline (statements sent by clients); the Com_ split is
// kept in the JSON to show what kind they were.
var statusNames = []string{
	"Questions", "Com_select", "Com_insert", "Com_update", "Com_delete",
	"Com_begin", "Com_commit", "Com_rollback",
}

// counterDelta is after-before per name. A counter that went backwards (a
// server restart, FLUSH STATUS) or is missing on either side gives no
// delta rather than a huge wrapped number.
func counterDelta(before, after map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, a := range after {
		if b, ok := before[k]; ok && a >= b {
			out[k] = a - b
		}
	}
	return out
}

// commandDelta is counterDelta for INFO commandstats, where a command
// appears only once it has been called: one absent before the run and
// present after it was called for the first time during the run, so its
// whole count is the delta.
func commandDelta(before, after map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, a := range after {
		if b := before[k]; a >= b {
			out[k] = a - b
		}
	}
	return out
}

// parseCommandstats reads INFO commandstats into calls per command
// ("cmdstat_get:calls=12,usec=…" → get: 12).
func parseCommandstats(info string) map[string]uint64 {
	out := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, fields, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, f := range strings.Split(fields, ",") {
			if k, v, ok := strings.Cut(f, "="); ok && k == "calls" {
				if n, err := strconv.ParseUint(v, 10, 64); err == nil {
					out[strings.TrimPrefix(name, "cmdstat_")] = n
				}
			}
		}
	}
	return out
}

// harnessRedisCommands are the commands the harness itself sends while a
// run is measured; they are left out of the per-request count. (The server
// never sends INFO.)
var harnessRedisCommands = map[string]bool{"info": true}

// sumCommands totals the calls of a commandstats delta, minus the
// harness's own commands.
func sumCommands(delta map[string]uint64) uint64 {
	var n uint64
	for cmd, calls := range delta {
		if !harnessRedisCommands[strings.ToLower(cmd)] {
			n += calls
		}
	}
	return n
}

// promSum adds up every sample of one metric in Prometheus text format,
// whatever its labels ("onit_db_query_duration_seconds_count{kind="read"} 3"
// and the write series). ok is false when the metric is absent.
func promSum(text, metric string) (sum float64, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, metric) {
			continue
		}
		rest := line[len(metric):]
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // a longer name sharing the prefix
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		sum += v
		ok = true
	}
	return sum, ok
}

// Counters is one reading of everything counted around a run. A nil
// pointer means that source was unavailable.
type Counters struct {
	MySQLStatus   map[string]uint64 // SHOW GLOBAL STATUS (global: every client)
	RedisCalls    map[string]uint64 // INFO commandstats (global: every client)
	AppQueries    *float64          // the server's own statement counter
	AppRedisTrips *float64          // the server's own Redis round trips
	Goroutines    *float64          // go_goroutines from /metrics
}

// probe reads the counters from MySQL, Redis and the server's /metrics.
type probe struct {
	db          *sql.DB
	rdb         *redis.Client
	metricsURL  string
	metricsTok  string
	client      *http.Client
	metricsSeen bool // /metrics answered at least once
}

func (p *probe) read(ctx context.Context) (Counters, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var c Counters
	st, err := p.mysqlStatus(ctx)
	if err != nil {
		return c, fmt.Errorf("read MySQL counters: %w", err)
	}
	c.MySQLStatus = st
	info, err := p.rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return c, fmt.Errorf("redis INFO commandstats: %w", err)
	}
	c.RedisCalls = parseCommandstats(info)
	if text, err := p.scrape(ctx); err == nil {
		p.metricsSeen = true
		if v, ok := promSum(text, "onit_db_query_duration_seconds_count"); ok {
			c.AppQueries = &v
		}
		if v, ok := promSum(text, "onit_redis_command_duration_seconds_count"); ok {
			c.AppRedisTrips = &v
		}
		if v, ok := promSum(text, "go_goroutines"); ok {
			c.Goroutines = &v
		}
	}
	return c, nil
}

func (p *probe) mysqlStatus(ctx context.Context) (map[string]uint64, error) {
	// One statement for all counters, so the harness's own cost per
	// reading is a constant that calibrate measures.
	return onitmysql.ServerOf(p.db).Counters(ctx, statusNames)
}

// scrape fetches /metrics with the bearer token. Its connection is closed
// afterwards so it does not count among the server's idle goroutines.
func (p *probe) scrape(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+p.metricsTok)
	req.Close = true
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/metrics: %s", resp.Status)
	}
	return string(body), nil
}

// calibrate measures how many Questions one reading of SHOW GLOBAL STATUS
// adds by itself: the smallest delta of a few back-to-back readings (other
// clients of a shared server can only add to it).
func (p *probe) calibrate(ctx context.Context) (uint64, error) {
	best := uint64(1<<63 - 1)
	prev, err := p.mysqlStatus(ctx)
	if err != nil {
		return 0, err
	}
	for range 3 {
		cur, err := p.mysqlStatus(ctx)
		if err != nil {
			return 0, err
		}
		if d, ok := counterDelta(prev, cur)["Questions"]; ok && d < best {
			best = d
		}
		prev = cur
	}
	if best == 1<<63-1 {
		return 0, nil
	}
	return best, nil
}

// Usage is what the server did for one run, per request where it divides.
type Usage struct {
	AppQueriesPerReq    *float64          `json:"mysql_queries_per_request_app"`
	GlobalQueriesPerReq *float64          `json:"mysql_queries_per_request_global"`
	MySQLStatusDelta    map[string]uint64 `json:"mysql_status_delta"`
	AppRedisPerReq      *float64          `json:"redis_round_trips_per_request_app"`
	GlobalRedisPerReq   *float64          `json:"redis_commands_per_request_global"`
	RedisCommandsDelta  map[string]uint64 `json:"redis_commands_delta"`
}

// usage turns two readings into per-request figures. selfQuestions is the
// harness's own cost per SHOW GLOBAL STATUS reading (see calibrate); the
// "after" reading's own statement is the one subtracted.
func usage(before, after Counters, requests int, selfQuestions uint64) Usage {
	u := Usage{
		MySQLStatusDelta:   counterDelta(before.MySQLStatus, after.MySQLStatus),
		RedisCommandsDelta: commandDelta(before.RedisCalls, after.RedisCalls),
	}
	if q, ok := u.MySQLStatusDelta["Questions"]; ok {
		v := float64(q) - float64(selfQuestions)
		v = max(v, 0)
		u.GlobalQueriesPerReq = perRequest(&v, requests)
	}
	if before.RedisCalls != nil && after.RedisCalls != nil {
		v := float64(sumCommands(u.RedisCommandsDelta))
		u.GlobalRedisPerReq = perRequest(&v, requests)
	}
	if before.AppQueries != nil && after.AppQueries != nil {
		v := *after.AppQueries - *before.AppQueries
		u.AppQueriesPerReq = perRequest(&v, requests)
	}
	if before.AppRedisTrips != nil && after.AppRedisTrips != nil {
		v := *after.AppRedisTrips - *before.AppRedisTrips
		u.AppRedisPerReq = perRequest(&v, requests)
	}
	return u
}
