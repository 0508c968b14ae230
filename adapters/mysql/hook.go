package mysql

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// The kinds of query ObserveQuery receives.
const (
	QueryRead  = "read"
	QueryWrite = "write"
)

// QueryObserver receives the latency of every query; the metrics adapter
// implements it. kind is QueryRead or QueryWrite; err is nil on success and
// also for sql.ErrNoRows, which is an answer, not a failure.
type QueryObserver interface {
	ObserveQuery(kind string, d time.Duration, err error)
}

// maxLoggedQuery bounds the query text in slow-query logs: enough to
// recognise the statement, not a multi-kilobyte IN list.
const maxLoggedQuery = 500

// QueryHook is a bun.QueryHook that reports each query's latency to a
// QueryObserver and logs queries slower than a threshold at warn.
type QueryHook struct {
	log  *slog.Logger
	slow time.Duration
	obs  QueryObserver
}

var _ bun.QueryHook = (*QueryHook)(nil)

// NewQueryHook returns a hook logging queries slower than slow (0: never) to
// log and reporting every query to obs (nil: nobody).
func NewQueryHook(log *slog.Logger, slow time.Duration, obs QueryObserver) *QueryHook {
	if log == nil {
		log = slog.Default()
	}
	return &QueryHook{log: log, slow: slow, obs: obs}
}

// BeforeQuery does nothing: bun records the start time in the event.
func (h *QueryHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery observes and, when slow, logs the finished query.
func (h *QueryHook) AfterQuery(ctx context.Context, ev *bun.QueryEvent) {
	d := time.Since(ev.StartTime)
	kind := queryKind(ev.Operation(), ev.Query)
	err := ev.Err
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if h.obs != nil {
		h.obs.ObserveQuery(kind, d, err)
	}
	if h.slow > 0 && d >= h.slow {
		h.log.WarnContext(ctx, "slow query",
			slog.String("kind", kind),
			slog.Duration("duration", d),
			slog.String("query", truncate(redact(ev.Query), maxLoggedQuery)),
		)
	}
}

// queryKind classifies a statement by the first keyword of its text, falling
// back to bun's operation name only when there is no text: bun reports every
// raw query (NewRaw) as "SELECT", even an UPDATE. Anything that is not
// plainly a read (including BEGIN and COMMIT) counts as a write.
func queryKind(op, query string) string {
	kw := firstKeyword(query)
	if kw == "" {
		kw = firstKeyword(op)
	}
	switch strings.ToUpper(kw) {
	case "SELECT", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "WITH":
		return QueryRead
	default:
		return QueryWrite
	}
}

func firstKeyword(q string) string {
	q = strings.TrimLeft(q, " \t\r\n(")
	end := strings.IndexFunc(q, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	})
	if end < 0 {
		return q
	}
	return q[:end]
}

// redact replaces every literal in a query with ? so logs never carry values:
// bun inlines arguments into the query text, and they include password hashes,
// session token hashes and email addresses. Backquoted identifiers are kept;
// 'single' and "double" quoted strings (strings in both servers' default
// sql_mode), X'hex', 0x… and numbers become ?.
func redact(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '`':
			j := skipQuoted(q, i, '`')
			b.WriteString(q[i:j])
			i = j
		case c == '\'' || c == '"':
			b.WriteByte('?')
			i = skipQuoted(q, i, c)
		case (c == 'x' || c == 'X' || c == 'b' || c == 'B') && i+1 < len(q) && q[i+1] == '\'' && !identByte(q, i-1):
			b.WriteByte('?')
			i = skipQuoted(q, i+1, '\'')
		case c >= '0' && c <= '9' && !identByte(q, i-1):
			b.WriteByte('?')
			i++
			for i < len(q) && (isAlnum(q[i]) || q[i] == '.') {
				i++
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// skipQuoted returns the index just past the quoted run starting at q[i],
// honouring doubled quotes and backslash escapes; an unterminated run ends
// the string.
func skipQuoted(q string, i int, quote byte) int {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if quote != '`' {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// identByte reports whether q[i] continues an identifier (so a digit after it,
// as in users_v2, is part of a name, not a number).
func identByte(q string, i int) bool {
	return i >= 0 && (isAlnum(q[i]) || q[i] == '$' || q[i] >= utf8.RuneSelf)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
