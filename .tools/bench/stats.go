package main

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// transportError is the status key of a request that got no HTTP response
// (refused, reset, timed out): it is an error too, and must not hide among
// the real status codes.
const transportError = "transport"

// maxErrorSamples bounds the distinct error messages kept per run, so a run
// where every request fails differently cannot grow the report without limit.
const maxErrorSamples = 5

// Summary is what one run of one scenario measured, as the client saw it.
type Summary struct {
	Requests int            `json:"requests"`
	OK       int            `json:"ok"`
	Errors   int            `json:"errors"`
	ByStatus map[string]int `json:"errors_by_status"`
	Samples  []string       `json:"error_samples,omitempty"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
	RPS      float64        `json:"requests_per_second"`
	Mean     time.Duration  `json:"mean_ns"`
	P50      time.Duration  `json:"p50_ns"`
	P90      time.Duration  `json:"p90_ns"`
	P99      time.Duration  `json:"p99_ns"`
	Max      time.Duration  `json:"max_ns"`
}

// collector aggregates results as they arrive. It keeps every latency
// rather than a sketch: at the rates measured here (tens of thousands per
// second for seconds) that is a few megabytes, and exact percentiles are
// simpler to trust than an estimator's.
type collector struct {
	latencies []time.Duration
	byStatus  map[string]int
	samples   []string
	ok        int
	first     time.Time // start of the earliest request
	last      time.Time // end of the latest response
}

func newCollector() *collector {
	return &collector{byStatus: map[string]int{}}
}

// add records one request. ok says whether its status is the scenario's
// success status; code 0 means no HTTP response at all, errMsg why.
func (c *collector) add(start time.Time, latency time.Duration, code int, ok bool, errMsg string) {
	c.latencies = append(c.latencies, latency)
	if c.first.IsZero() || start.Before(c.first) {
		c.first = start
	}
	if end := start.Add(latency); end.After(c.last) {
		c.last = end
	}
	if ok {
		c.ok++
		return
	}
	key := transportError
	if code != 0 {
		key = strconv.Itoa(code)
	}
	c.byStatus[key]++
	if errMsg != "" && len(c.samples) < maxErrorSamples && !slices.Contains(c.samples, errMsg) {
		c.samples = append(c.samples, errMsg)
	}
}

// summary computes the rates and percentiles. The rate is over the wall
// time from the first request's start to the last response's end, so a
// tail of slow responses after the attack stopped sending counts against it.
func (c *collector) summary() Summary {
	s := Summary{Requests: len(c.latencies), OK: c.ok, ByStatus: map[string]int{}}
	for k, v := range c.byStatus {
		s.ByStatus[k] = v
		s.Errors += v
	}
	s.Samples = slices.Clone(c.samples)
	if s.Requests == 0 {
		return s
	}
	sorted := slices.Clone(c.latencies)
	slices.Sort(sorted)
	var total time.Duration
	for _, l := range sorted {
		total += l
	}
	s.Mean = total / time.Duration(len(sorted))
	s.P50 = percentile(sorted, 0.50)
	s.P90 = percentile(sorted, 0.90)
	s.P99 = percentile(sorted, 0.99)
	s.Max = sorted[len(sorted)-1]
	s.Elapsed = c.last.Sub(c.first)
	if s.Elapsed > 0 {
		s.RPS = float64(s.Requests) / s.Elapsed.Seconds()
	}
	return s
}

// percentile is the nearest-rank percentile of sorted latencies: the
// smallest value with at least q of the samples at or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// perRequest divides a counter delta by the requests that caused it; nil
// (unknown) when the counter was unavailable or nothing was sent.
func perRequest(delta *float64, requests int) *float64 {
	if delta == nil || requests == 0 {
		return nil
	}
	v := *delta / float64(requests)
	return &v
}
