package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profileRun is a CPU profile being taken of the server during one run.
type profileRun struct {
	path string
	done chan error
}

// startProfile asks Onit's loopback pprof listener for a CPU profile
// covering a max run (--cpuprofile), written to cpu-<scenario>.pprof in the
// output folder: where a scenario loses against its ceiling is read from
// it (go tool pprof -top). Only Onit is profiled, not the ceiling program,
// and only max runs, where the server is the bottleneck. nil otherwise.
func (b *bench) startProfile(ctx context.Context, srv *server, sc scenario, mode Mode) *profileRun {
	if !b.opt.CPUProfile || srv != b.srv || srv.pprofAddr == "" || mode.Name != "max" {
		return nil
	}
	// One second short of the run, so the profile never covers the idle
	// pause after it.
	secs := max(int((b.opt.Duration-time.Second)/time.Second), 1)
	p := &profileRun{path: filepath.Join(b.opt.Out, "cpu-"+sc.key+".pprof"), done: make(chan error, 1)}
	go func() {
		p.done <- fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", srv.pprofAddr, secs), p.path)
	}()
	return p
}

// wait returns the profile's file once written, or "" after saying on
// stderr why not: a missing profile does not fail the measurement.
func (p *profileRun) wait() string {
	if p == nil {
		return ""
	}
	if err := <-p.done; err != nil {
		fmt.Fprintf(os.Stderr, "cpu profile %s: %v\n", p.path, err)
		return ""
	}
	return p.path
}

func fetchProfile(ctx context.Context, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
