package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"
)

// slogLine is what slog's own JSON handler writes for r.
func slogLine(t testing.TB, r slog.Record, level slog.Level) string {
	t.Helper()
	var buf bytes.Buffer
	if err := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// jsonLinesLine is what jsonLines writes for r, and whether it took its
// own path.
func jsonLinesLine(t testing.TB, r slog.Record, level slog.Level) (string, bool) {
	t.Helper()
	var buf bytes.Buffer
	h := newJSONLines(&buf, &slog.HandlerOptions{Level: level})
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	_, fast := appendJSONLine(nil, r)
	return buf.String(), fast
}

// jsonLines writes what slog's JSON handler writes, on its own path for
// the plain kinds and through slog for the rest.
func TestJSONLinesMatchesSlog(t *testing.T) {
	at := time.Date(2026, 12, 6, 21, 57, 41, 123456789, time.UTC)
	record := func(when time.Time, level slog.Level, msg string, attrs ...slog.Attr) slog.Record {
		r := slog.NewRecord(when, level, msg, 0)
		r.AddAttrs(attrs...)
		return r
	}
	tests := []struct {
		name string
		r    slog.Record
		fast bool
	}{
		{"access line", record(at, slog.LevelInfo, "request",
			slog.String("request_id", "4b95fc152674874f-40"), slog.String("method", "GET"),
			slog.String("path", "/api/v1/me"), slog.String("route", "/api/v1/me"), slog.Int("status", 200),
			slog.Int64("bytes", 157), slog.Float64("duration_ms", 0.231), slog.String("remote", "127.0.0.1"),
			slog.Int64("user_id", 1)), true},
		{"no time", record(time.Time{}, slog.LevelWarn, "m"), true},
		{"local time with monotonic reading", record(time.Now(), slog.LevelError, "m"), true},
		{"zone offset", record(at.In(time.FixedZone("X", -5*3600-1800)), slog.LevelInfo, "m"), true},
		{"custom level", record(at, slog.LevelInfo+2, "m"), true},
		{"debug-4", record(at, slog.LevelDebug-4, "m"), true},
		{"escapes", record(at, slog.LevelInfo, "a\"b\\c\nd\re\tf\x00g\x1fh\x7f <>&",
			slog.String("k\"ey\n", "\u2028\u2029 é 日本 \xff\xfe end")), true},
		{"kinds", record(at, slog.LevelInfo, "m", slog.Bool("t", true), slog.Bool("f", false),
			slog.Uint64("u", math.MaxUint64), slog.Int64("i", math.MinInt64), slog.Duration("d", 1500*time.Microsecond),
			slog.Time("at", at), slog.Time("zero", time.Time{})), true},
		{"floats", record(at, slog.LevelInfo, "m", slog.Float64("a", 0), slog.Float64("b", math.Copysign(0, -1)),
			slog.Float64("c", 1e-7), slog.Float64("d", 1e21), slog.Float64("e", 123456789.123), slog.Float64("f", 1e-6),
			slog.Float64("g", 5e-324), slog.Float64("h", math.MaxFloat64), slog.Float64("i", -2.5e-10)), true},
		{"NaN goes through slog", record(at, slog.LevelInfo, "m", slog.Float64("x", math.NaN())), false},
		{"infinity goes through slog", record(at, slog.LevelInfo, "m", slog.Float64("x", math.Inf(-1))), false},
		{"group goes through slog", record(at, slog.LevelInfo, "m", slog.Group("g", slog.Int("n", 1))), false},
		{"error value goes through slog", record(at, slog.LevelError, "m", slog.Any("err", errors.New("boom"))), false},
		{"empty key goes through slog", record(at, slog.LevelInfo, "m", slog.String("", "v")), false},
		{"year 10000 goes through slog", record(at, slog.LevelInfo, "m",
			slog.Time("t", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fast := jsonLinesLine(t, tt.r, slog.LevelDebug-8)
			if want := slogLine(t, tt.r, slog.LevelDebug-8); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if fast != tt.fast {
				t.Errorf("own path = %v, want %v", fast, tt.fast)
			}
		})
	}
}

// The levels below the configured one are not logged, as with slog.
func TestJSONLinesEnabled(t *testing.T) {
	h := newJSONLines(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})
	for _, tt := range []struct {
		level slog.Level
		want  bool
	}{{slog.LevelInfo, false}, {slog.LevelWarn, true}, {slog.LevelError, true}} {
		if got := h.Enabled(context.Background(), tt.level); got != tt.want {
			t.Errorf("Enabled(%v) = %v, want %v", tt.level, got, tt.want)
		}
	}
	if !newJSONLines(&bytes.Buffer{}, &slog.HandlerOptions{}).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("no level set: info should be logged")
	}
}

// Loggers made With attributes or groups write what slog writes.
func TestJSONLinesWith(t *testing.T) {
	var got, want bytes.Buffer
	opts := &slog.HandlerOptions{}
	slog.New(newJSONLines(&got, opts)).With("component", "mail").WithGroup("g").Info("sent", "n", 2)
	slog.New(slog.NewJSONHandler(&want, opts)).With("component", "mail").WithGroup("g").Info("sent", "n", 2)
	// The times differ; the rest must not.
	cut := func(b []byte) string { _, rest, _ := bytes.Cut(b, []byte(`","level"`)); return string(rest) }
	if cut(got.Bytes()) != cut(want.Bytes()) || cut(got.Bytes()) == "" {
		t.Errorf("got  %s\nwant %s", got.Bytes(), want.Bytes())
	}
}

func FuzzJSONLines(f *testing.F) {
	f.Add("request", "path", "/api/v1/me", int64(200), 0.231, int64(1765058261123456789), int8(0))
	f.Add("a\"\\\n\x00\u2028\xff", "k\t", "<>&é", int64(-1), 1e-7, int64(0), int8(4))
	f.Add("", "x", "", int64(0), 1e21, int64(-62135596800000000), int8(-4))
	f.Fuzz(func(t *testing.T, msg, key, value string, n int64, x float64, unixNano int64, level int8) {
		r := slog.NewRecord(time.Unix(0, unixNano).UTC(), slog.Level(level), msg, 0)
		r.AddAttrs(slog.String(key, value), slog.Int64("n", n), slog.Float64("x", x),
			slog.Time("t", time.Unix(0, unixNano)))
		got, _ := jsonLinesLine(t, r, slog.LevelDebug-128)
		if want := slogLine(t, r, slog.LevelDebug-128); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// BenchmarkAccessLine is the access log's line through NewLogger, as a
// serving process writes it (JSON, durations rule included).
func BenchmarkAccessLine(b *testing.B) {
	for _, tt := range []struct {
		name string
		h    func() slog.Handler
	}{
		{"slog", func() slog.Handler { return msDurations{slog.NewJSONHandler(discard{}, &slog.HandlerOptions{})} }},
		{"jsonLines", func() slog.Handler { return msDurations{newJSONLines(discard{}, &slog.HandlerOptions{})} }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			l := slog.New(tt.h())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelInfo, "request",
					slog.String("request_id", "4b95fc152674874f-40"), slog.String("method", "GET"),
					slog.String("path", "/api/v1/me"), slog.String("route", "/api/v1/me"), slog.Int("status", 200),
					slog.Int64("bytes", 157), slog.Float64("duration_ms", 0.231), slog.String("remote", "127.0.0.1"),
					slog.Int64("user_id", 1))
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
