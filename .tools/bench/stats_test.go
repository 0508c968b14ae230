package main

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one sample is every percentile", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second (nearest rank)", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p90 of 1..100", ms(hundred...), 0.9, 90 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
		{"p0 is the min", ms(3, 5), 0, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(q=%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestCollectorSummary(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	type hit struct {
		at      time.Duration // after t0
		latency time.Duration
		code    int
		ok      bool
		err     string
	}
	tests := []struct {
		name       string
		hits       []hit
		wantReq    int
		wantOK     int
		wantErrors map[string]int
		wantRPS    float64
		wantP50    time.Duration
		wantMax    time.Duration
		wantSample []string
	}{
		{name: "nothing sent", wantErrors: map[string]int{}},
		{
			name: "all fine over one second",
			hits: []hit{
				{0, 100 * time.Millisecond, 200, true, ""},
				{300 * time.Millisecond, 200 * time.Millisecond, 200, true, ""},
				{600 * time.Millisecond, 300 * time.Millisecond, 200, true, ""},
				{900 * time.Millisecond, 100 * time.Millisecond, 200, true, ""},
			},
			wantReq: 4, wantOK: 4, wantErrors: map[string]int{},
			wantRPS: 4, wantP50: 100 * time.Millisecond, wantMax: 300 * time.Millisecond,
		},
		{
			name: "errors by status, transport errors apart, samples deduplicated",
			hits: []hit{
				{0, time.Millisecond, 200, true, ""},
				{0, time.Millisecond, 412, false, "412 Precondition Failed"},
				{0, time.Millisecond, 412, false, "412 Precondition Failed"},
				{0, time.Millisecond, 503, false, "503 Service Unavailable"},
				{0, 2 * time.Millisecond, 0, false, "connection refused"},
			},
			wantReq: 5, wantOK: 1, wantErrors: map[string]int{"412": 2, "503": 1, transportError: 1},
			wantRPS: 2500, wantP50: time.Millisecond, wantMax: 2 * time.Millisecond,
			wantSample: []string{"412 Precondition Failed", "503 Service Unavailable", "connection refused"},
		},
		{
			name:    "a wrong success code is an error even without a message",
			hits:    []hit{{0, time.Second, 200, false, ""}},
			wantReq: 1, wantErrors: map[string]int{"200": 1}, wantRPS: 1,
			wantP50: time.Second, wantMax: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCollector()
			for _, h := range tt.hits {
				c.add(t0.Add(h.at), h.latency, h.code, h.ok, h.err)
			}
			s := c.summary()
			if s.Requests != tt.wantReq || s.OK != tt.wantOK {
				t.Errorf("requests/ok = %d/%d, want %d/%d", s.Requests, s.OK, tt.wantReq, tt.wantOK)
			}
			if !maps.Equal(s.ByStatus, tt.wantErrors) {
				t.Errorf("errors by status = %v, want %v", s.ByStatus, tt.wantErrors)
			}
			wantErrCount := 0
			for _, n := range tt.wantErrors {
				wantErrCount += n
			}
			if s.Errors != wantErrCount {
				t.Errorf("errors = %d, want %d", s.Errors, wantErrCount)
			}
			if diff := s.RPS - tt.wantRPS; diff > 0.001 || diff < -0.001 {
				t.Errorf("rps = %v, want %v", s.RPS, tt.wantRPS)
			}
			if s.P50 != tt.wantP50 || s.Max != tt.wantMax {
				t.Errorf("p50/max = %v/%v, want %v/%v", s.P50, s.Max, tt.wantP50, tt.wantMax)
			}
			if !slices.Equal(s.Samples, tt.wantSample) {
				t.Errorf("samples = %q, want %q", s.Samples, tt.wantSample)
			}
		})
	}
}

func TestCollectorBoundsErrorSamples(t *testing.T) {
	t.Parallel()
	c := newCollector()
	for i := range 50 {
		c.add(time.Now(), time.Millisecond, 500, false, "error "+string(rune('a'+i%26)))
	}
	if s := c.summary(); len(s.Samples) != maxErrorSamples || s.ByStatus["500"] != 50 {
		t.Errorf("samples = %d (want %d), 500s = %d (want 50)", len(s.Samples), maxErrorSamples, s.ByStatus["500"])
	}
}

func TestPerRequest(t *testing.T) {
	t.Parallel()
	ten := 10.0
	tests := []struct {
		name     string
		delta    *float64
		requests int
		want     *float64
	}{
		{"unknown counter", nil, 5, nil},
		{"no requests", &ten, 0, nil},
		{"divides", &ten, 4, ptr(2.5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := perRequest(tt.delta, tt.requests)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("perRequest = %v, want %v", deref(got), deref(tt.want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
