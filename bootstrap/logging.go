package bootstrap

import (
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/onitapp/onit/env"
)

// NewLogger builds the process logger: JSON in production (one stream for
// CloudWatch and log queries), readable text in development, level from
// settings. Every duration is written in milliseconds under its key plus
// "_ms" ("duration_ms": 0.231), whoever logs it, so log queries never meet
// Go's nanoseconds or "231µs".
func NewLogger(cfg env.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: millisecondDurations}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func millisecondDurations(_ []string, a slog.Attr) slog.Attr {
	var d time.Duration
	switch {
	case a.Value.Kind() == slog.KindDuration:
		d = a.Value.Duration()
	case a.Key == "runtime" && a.Value.Kind() == slog.KindString:
		// fx's debug events carry constructor run times as text.
		var err error
		if d, err = time.ParseDuration(a.Value.String()); err != nil {
			return a
		}
	default:
		return a
	}
	ms := float64(d) / float64(time.Millisecond)
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, ms)
}
