package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// stormWorkers is the login storm of issue 13: 64 logins in flight at
// every moment, each worker sending the next as soon as one answers.
const stormWorkers = 64

// stormWarmUp lets the storm's logins occupy the server before the GETs
// are measured.
const stormWarmUp = 2 * time.Second

// Storm is the login-storm scenario: GET one task at the fixed --rate,
// first alone, then while stormWorkers concurrent logins run.
type Storm struct {
	Workers  int     `json:"workers"`
	Baseline Run     `json:"baseline"` // GET one task, no storm
	During   Run     `json:"during"`   // GET one task during the storm
	Logins   Summary `json:"logins"`   // the storm's own logins, as the client saw them
}

// loginStorm runs the scenario. The storm's workers stop sending when the
// measured run ends, and the harness waits for the logins in flight to be
// answered, so their hashing does not colour what comes after.
func (b *bench) loginStorm(ctx context.Context, set *scenarioSet) (*Storm, error) {
	mode := Mode{Name: "rate", Rate: b.opt.Rate}
	st := &Storm{Workers: stormWorkers}
	var err error
	if st.Baseline, err = b.runOne(ctx, set.getTask(), "GET one task, no storm", mode); err != nil {
		return nil, err
	}
	printRun(b.log, st.Baseline)

	body, err := json.Marshal(map[string]string{"email": set.fx.User.Email, "password": set.fx.User.Password})
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: stormWorkers, MaxConnsPerHost: stormWorkers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	// A login under a storm can take many seconds on an unbounded server;
	// the limit only keeps a hung server from hanging the harness.
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	var stop atomic.Bool
	var mu sync.Mutex
	col := newCollector()
	var wg sync.WaitGroup
	url := b.srv.base + "/api/v1/auth/login"
	for range stormWorkers {
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				start := time.Now()
				code, msg := stormLogin(ctx, client, url, body)
				mu.Lock()
				col.add(start, time.Since(start), code, code == http.StatusOK, msg)
				mu.Unlock()
			}
		})
	}
	sleepCtx(ctx, stormWarmUp)
	st.During, err = b.runOne(ctx, set.getTask(), fmt.Sprintf("GET one task during %d concurrent logins", stormWorkers), mode)
	stop.Store(true)
	fmt.Fprintf(b.log, "waiting for the storm's logins in flight…\n")
	wg.Wait()
	st.Logins = col.summary()
	if err != nil {
		return nil, err
	}
	printRun(b.log, st.During)
	s := st.Logins
	fmt.Fprintf(b.log, "%-26s %d logins, %s/s, p50 %s, p99 %s, errors=%s\n", "login storm", s.Requests, fmtInt(s.RPS),
		fmtMs(s.P50), fmtMs(s.P99), fmtErrors(s.ByStatus))
	return st, nil
}

// stormLogin sends one login and returns its status (0 without a
// response) and the error text, if any.
func stormLogin(ctx context.Context, client *http.Client, url string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, ""
}
