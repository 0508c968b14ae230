package bootstrap

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/onitapp/onit/env"
)

// durationValuer is a LogValuer that resolves to a duration.
type durationValuer time.Duration

func (d durationValuer) LogValue() slog.Value { return slog.DurationValue(time.Duration(d)) }

// Every duration reaches the log as milliseconds under key+"_ms", however
// it was logged; everything else is untouched.
func TestLoggerWritesDurationsInMilliseconds(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any
	}{
		{"plain attrs untouched", func(l *slog.Logger) { l.Info("m", "status", 200, "path", "/x") },
			map[string]any{"status": 200.0, "path": "/x"}},
		{"duration", func(l *slog.Logger) { l.Info("m", "duration", 1500*time.Microsecond) },
			map[string]any{"duration_ms": 1.5}},
		{"key already in ms", func(l *slog.Logger) { l.Info("m", "wait_ms", 2*time.Millisecond) },
			map[string]any{"wait_ms": 2.0}},
		{"after other attrs", func(l *slog.Logger) {
			l.Info("m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "took", time.Second)
		}, map[string]any{"a": 1.0, "f": 6.0, "took_ms": 1000.0}},
		{"in a group", func(l *slog.Logger) { l.Info("m", slog.Group("g", "d", time.Millisecond, "n", 1)) },
			map[string]any{"g": map[string]any{"d_ms": 1.0, "n": 1.0}}},
		{"logger attrs", func(l *slog.Logger) { l.With("ttl", 3*time.Millisecond).Info("m") },
			map[string]any{"ttl_ms": 3.0}},
		{"inside WithGroup", func(l *slog.Logger) { l.WithGroup("g").Info("m", "d", time.Millisecond) },
			map[string]any{"g": map[string]any{"d_ms": 1.0}}},
		{"LogValuer", func(l *slog.Logger) { l.Info("m", "v", durationValuer(4*time.Millisecond)) },
			map[string]any{"v_ms": 4.0}},
		{"fx runtime text", func(l *slog.Logger) { l.Info("m", "runtime", "250µs") },
			map[string]any{"runtime_ms": 0.25}},
		{"unparsable runtime kept", func(l *slog.Logger) { l.Info("m", "runtime", "soon") },
			map[string]any{"runtime": "soon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(NewLogger(env.Log{Level: "info", Format: "json"}, &buf))
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, buf.Bytes())
			}
			for k, want := range tt.want {
				g, _ := json.Marshal(got[k])
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Errorf("%s = %s, want %s (line %s)", k, g, w, buf.Bytes())
				}
			}
			if _, ok := got["time"].(string); !ok {
				t.Errorf("no time in %s", buf.Bytes())
			}
		})
	}
}
