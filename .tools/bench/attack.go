package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Mode is how a run paces its requests.
type Mode struct {
	Name string `json:"name"` // "rate" or "max"
	Rate int    `json:"rate,omitempty"`
}

func (m Mode) String() string {
	if m.Name == "max" {
		return "max"
	}
	return fmt.Sprintf("%d/s", m.Rate)
}

// pacer is vegeta's constant pacer; Freq 0 is its "as fast as the workers
// go" mode, where the fixed worker count is the concurrency.
func (m Mode) pacer() vegeta.Pacer {
	if m.Name == "max" {
		return vegeta.Rate{Freq: 0}
	}
	return vegeta.Rate{Freq: m.Rate, Per: time.Second}
}

// Run is one scenario in one mode.
type Run struct {
	Scenario         string  `json:"scenario"`
	Title            string  `json:"title"`
	Mode             Mode    `json:"mode"`
	Summary          Summary `json:"summary"`
	Usage            Usage   `json:"usage"`
	PeakRSS          uint64  `json:"peak_rss_bytes"`
	GoroutinesBefore *int    `json:"goroutines_before"`
	GoroutinesAfter  *int    `json:"goroutines_after"`
	ExtraRequests    int     `json:"extra_requests,omitempty"` // re-reads after failed PATCHes
	Stopped          string  `json:"stopped,omitempty"`        // why the run ended early
	CPU              CPU     `json:"cpu"`
	Profile          string  `json:"cpu_profile,omitempty"` // file of the server's CPU profile (--cpuprofile)
	// Ceiling is the ceiling program's run this one is compared with (max
	// runs only): its key, its req/s and this run's fraction of it.
	Ceiling    string  `json:"ceiling,omitempty"`
	CeilingRPS float64 `json:"ceiling_requests_per_second,omitempty"`
	Fraction   float64 `json:"fraction_of_ceiling,omitempty"`
}

// attacker drives one run with vegeta on its own transport, so its
// keep-alive connections can be closed afterwards and the server's
// goroutine count can settle.
func attack(ctx context.Context, sc scenario, mode Mode, du time.Duration, conns int, timeout time.Duration) (Summary, string) {
	tr := &http.Transport{
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true, // the server does not compress; keep it off both ends
	}
	defer tr.CloseIdleConnections()
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr, Timeout: timeout}),
		vegeta.Workers(uint64(conns)),
		// As many workers as connections, never more: vegeta would add
		// workers when the rate cannot be met, which changes the
		// concurrency the targets are stated for.
		vegeta.MaxWorkers(uint64(conns)),
		vegeta.MaxBody(0), // bodies are read and discarded, not kept
		vegeta.Redirects(vegeta.NoFollow),
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	col := newCollector()
	stopped := ""
	for res := range atk.Attack(sc.targeter, mode.pacer(), du, sc.key) {
		if res.Method == "" && res.Error != "" {
			// The targeter failed: vegeta stops the attack; not a request.
			stopped = res.Error
			continue
		}
		if sc.observe != nil {
			sc.observe(res)
		}
		want := sc.want
		if sc.wantPost != 0 && res.Method == http.MethodPost {
			want = sc.wantPost
		}
		col.add(res.Timestamp, res.Latency, int(res.Code), int(res.Code) == want, res.Error)
	}
	if ctx.Err() != nil && stopped == "" {
		stopped = "interrupted"
	}
	return col.summary(), stopped
}
