package bootstrap

import (
	"context"
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
//
// The conversion is a wrapping handler rather than slog's ReplaceAttr: with
// ReplaceAttr set, slog calls it for every attribute of every record, the
// built-in time, level and message included, and the access log writes a
// dozen attributes per request. The wrapper looks at the attributes once,
// without allocating, and rewrites only records that carry a duration;
// the access log writes its duration_ms as a number already.
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
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Format == "json" {
		h = newJSONLines(w, opts)
	}
	h = msDurations{h}
	if f, ok := w.(flusher); ok {
		h = flushingAfterWarnings{h, f}
	}
	return slog.New(h)
}

// flusher is a log writer that batches lines (lineBuffer).
type flusher interface{ Flush() error }

// flushingAfterWarnings writes a batching writer's lines out after every
// warning or error: those are read when something goes wrong, which is
// when a process may be about to die with its batch.
type flushingAfterWarnings struct {
	slog.Handler
	f flusher
}

// Handle logs r and flushes if it is a warning or worse.
func (h flushingAfterWarnings) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.f.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// WithAttrs keeps flushing in loggers made With attributes.
func (h flushingAfterWarnings) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingAfterWarnings{h.Handler.WithAttrs(attrs), h.f}
}

// WithGroup keeps flushing inside the group.
func (h flushingAfterWarnings) WithGroup(name string) slog.Handler {
	return flushingAfterWarnings{h.Handler.WithGroup(name), h.f}
}

// msDurations hands its handler every duration as milliseconds (see
// NewLogger).
type msDurations struct{ slog.Handler }

// Handle passes r on unchanged unless an attribute needs rewriting.
func (h msDurations) Handle(ctx context.Context, r slog.Record) error {
	rewrite := false
	r.Attrs(func(a slog.Attr) bool {
		rewrite = needsMs(a)
		return !rewrite
	})
	if !rewrite {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(inMs(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

// WithAttrs converts the logger's own attributes once, when it is made.
func (h msDurations) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = inMs(a)
	}
	return msDurations{h.Handler.WithAttrs(out)}
}

// WithGroup keeps the conversion inside the group.
func (h msDurations) WithGroup(name string) slog.Handler {
	return msDurations{h.Handler.WithGroup(name)}
}

// needsMs reports whether inMs would change a. A LogValuer counts: its
// value is only known once resolved.
func needsMs(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindDuration, slog.KindLogValuer:
		return true
	case slog.KindGroup:
		for _, m := range a.Value.Group() {
			if needsMs(m) {
				return true
			}
		}
		return false
	case slog.KindString:
		return a.Key == "runtime"
	default:
		return false
	}
}

// inMs rewrites a duration as a float of milliseconds under key+"_ms",
// inside groups too; fx's debug events carry constructor run times as text
// under "runtime", which are converted as well.
func inMs(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	var d time.Duration
	switch {
	case a.Value.Kind() == slog.KindGroup:
		members := a.Value.Group()
		out := make([]slog.Attr, len(members))
		for i, m := range members {
			out[i] = inMs(m)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case a.Value.Kind() == slog.KindDuration:
		d = a.Value.Duration()
	case a.Key == "runtime" && a.Value.Kind() == slog.KindString:
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
