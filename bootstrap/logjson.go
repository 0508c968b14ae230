package bootstrap

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/onitapp/onit/adapters/jsonquote"
)

// jsonLines writes the lines slog's JSON handler would write, byte for
// byte, without going through it for the records Onit writes most: a
// message and flat attributes of plain kinds, the access log's shape (one
// line per request). slog's handler spends most of an access line's cost
// on its generic machinery and on encoding/json for every float
// (duration_ms); under load that was a tenth of a request's CPU (see the
// README's performance notes). Anything else (groups, Any values, a
// logger made With attributes, a float that is not finite) goes to slog's
// own handler, so the output never depends on which path wrote it;
// TestJSONLinesMatchesSlog and FuzzJSONLines hold the two together.
type jsonLines struct {
	w     *lockedWriter
	level slog.Leveler
	slow  slog.Handler // slog's JSON handler on the same writer
}

func newJSONLines(w io.Writer, opts *slog.HandlerOptions) *jsonLines {
	lw := &lockedWriter{w: w}
	return &jsonLines{w: lw, level: opts.Level, slow: slog.NewJSONHandler(lw, opts)}
}

// lockedWriter serialises the two paths' writes, as slog's handler does
// its own: the writer may be a plain buffer in tests.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Enabled reports whether level is logged.
func (h *jsonLines) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.level != nil {
		min = h.level.Level()
	}
	return level >= min
}

// linePool holds line buffers; lines over 16 KiB are not kept, so one
// long line does not pin its buffer.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Handle writes r as one JSON line.
func (h *jsonLines) Handle(ctx context.Context, r slog.Record) error {
	bp := linePool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 16<<10 {
			linePool.Put(bp)
		}
	}()
	b, ok := appendJSONLine((*bp)[:0], r)
	*bp = b
	if !ok {
		return h.slow.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	return err
}

// WithAttrs and WithGroup hand over to slog's handler: loggers made With
// attributes are few and not on the hot path.
func (h *jsonLines) WithAttrs(attrs []slog.Attr) slog.Handler { return h.slow.WithAttrs(attrs) }

// WithGroup: see WithAttrs.
func (h *jsonLines) WithGroup(name string) slog.Handler { return h.slow.WithGroup(name) }

// appendJSONLine appends r as slog's JSON handler writes it (with no
// ReplaceAttr and no source), or reports false when r has something only
// slog's handler encodes.
func appendJSONLine(b []byte, r slog.Record) ([]byte, bool) {
	b = append(b, '{')
	if !r.Time.IsZero() {
		t := r.Time.Round(0)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false // slog writes an error in place of the time
		}
		b = append(b, `"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = jsonquote.Slog(b, r.Level.String())
	b = append(b, `,"msg":`...)
	b = jsonquote.Slog(b, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "" {
			ok = false // slog drops some empty attributes and keeps others
			return false
		}
		b = append(b, ',')
		b = jsonquote.Slog(b, a.Key)
		b = append(b, ':')
		b, ok = appendJSONScalar(b, a.Value)
		return ok
	})
	if !ok {
		return b, false
	}
	return append(b, '}', '\n'), true
}

// appendJSONScalar appends v as slog's JSON handler does for the plain
// kinds.
func appendJSONScalar(b []byte, v slog.Value) ([]byte, bool) {
	switch v.Kind() {
	case slog.KindString:
		return jsonquote.Slog(b, v.String()), true
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10), true
	case slog.KindFloat64:
		return appendJSONFloat(b, v.Float64())
	case slog.KindTime:
		t := v.Time()
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), true
	default:
		return b, false
	}
}

// appendJSONFloat formats f as encoding/json does (slog calls it for
// floats): the shortest representation, in exponent form only below 1e-6
// or from 1e21, with a one-digit negative exponent unpadded.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}
