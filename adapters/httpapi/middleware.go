package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// headKey marks a HEAD request routed as a GET.
const headKey = "onit.head"

// headAsGet routes HEAD like GET (it runs before the router), so HEAD works
// wherever GET does, as RFC 9110 asks, without a second route per path.
// restoreHead puts the method back once routed: handlers, logs and the
// error handler see HEAD, and net/http drops the body it writes.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
			c.Set(headKey, true)
		}
		return next(c)
	}
}

func restoreHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Get(headKey) != nil {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}

// requestIDMiddleware echoes a sane X-Request-ID or makes one. Incoming IDs
// are accepted only when short and printable, so logs cannot be polluted.
func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = s.requestIDs.next()
		}
		c.Response().Header()[echo.HeaderXRequestID] = []string{id}
		return next(c)
	}
}

// requestIDs makes request IDs that are unique across instances and
// restarts without reading the system's random source for every request:
// 64 random bits drawn when the server is built, then a counter. An ID
// names a request in logs; it grants nothing, so it need not be secret.
type requestIDs struct {
	prefix [16]byte // hex of the random bits
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [8]byte
	_, _ = rand.Read(b[:])
	r := &requestIDs{}
	hex.Encode(r.prefix[:], b[:])
	return r
}

// next returns the prefix, a dash and the counter in hex: 33 characters at
// most.
func (r *requestIDs) next() string {
	var buf [16 + 1 + 16]byte
	b := append(buf[:0], r.prefix[:]...)
	b = append(b, '-')
	b = strconv.AppendUint(b, r.n.Add(1), 16)
	return string(b)
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// languageMiddleware negotiates from Accept-Language; authentication may
// later override it with the user's saved language.
func (s *Server) languageMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setLanguage(c, s.cat.Negotiate("", c.Request().Header.Get("Accept-Language")))
		return next(c)
	}
}

// accessLog writes one line per request. Errors are rendered first so the
// line has the status the client got. The caller's user id is on the line
// when the request was authenticated, and a W3C traceparent header's trace
// and parent span ids when one came in, so a request can be followed
// across the load balancer and other services.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		level := levelFor(res.Status)
		if isProbe(req.URL.Path) {
			level = slog.LevelDebug // load balancers probe every few seconds
		}
		if !s.log.Enabled(req.Context(), level) {
			return nil
		}
		// On the stack: slog copies the attributes into its record. The
		// duration is written as milliseconds here, so the logger's
		// duration rewrite (bootstrap.NewLogger) passes the line through.
		var buf [12]slog.Attr
		attrs := append(buf[:0],
			slog.String("request_id", requestID(c)),
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("duration_ms", float64(time.Since(start))/float64(time.Millisecond)),
			slog.String("remote", c.RealIP()),
		)
		if p, ok := principal(c); ok {
			attrs = append(attrs, slog.Int64("user_id", p.User.ID))
		}
		if trace, parent, ok := parseTraceparent(req.Header.Get("Traceparent")); ok {
			attrs = append(attrs, slog.String("trace_id", trace), slog.String("parent_id", parent))
		}
		// Straight to the handler: Logger.LogAttrs would also walk the
		// stack for the caller's program counter, which no handler here
		// uses (no AddSource) and which costs more than the line's
		// encoding.
		r := slog.NewRecord(time.Now(), level, "request", 0)
		r.AddAttrs(attrs...)
		_ = s.log.Handler().Handle(req.Context(), r) // nowhere to report a failed log write
		return nil
	}
}

// isProbe reports the health endpoints load balancers poll.
func isProbe(path string) bool { return path == "/healthz" || path == "/readyz" }

// parseTraceparent reads a W3C Trace Context header
// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"). Anything else
// is ignored rather than logged: the header comes from the client.
func parseTraceparent(h string) (trace, parent string, ok bool) {
	if len(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return "", "", false
	}
	version, trace, parent, flags := h[:2], h[3:35], h[36:52], h[53:55]
	// Version ff is invalid; a future version may append fields after a dash.
	if version == "ff" || (version == "00" && len(h) != 55) || (len(h) > 55 && h[55] != '-') {
		return "", "", false
	}
	for _, part := range []string{version, trace, parent, flags} {
		if !isLowerHex(part) {
			return "", "", false
		}
	}
	if strings.Trim(trace, "0") == "" || strings.Trim(parent, "0") == "" {
		return "", "", false // all zeros: invalid by the specification
	}
	return trace, parent, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// recoverMiddleware turns a panic into a logged stack and a 500 problem.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				s.log.ErrorContext(c.Request().Context(), "panic serving request",
					"request_id", requestID(c), "method", c.Request().Method, "path", c.Request().URL.Path,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = domain.Internal(fmt.Errorf("panic: %v", r))
			}
		}()
		return next(c)
	}
}

// hostMiddleware answers 400 to a Host outside ONIT_ALLOWED_HOSTS (Django's
// ALLOWED_HOSTS), which stops host-header poisoning of absolute URLs.
// "*" allows any host, and so does an empty list unless FailClosedHosts
// (production), where it allows none; ".example.com" allows subdomains.
func (s *Server) hostMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	allowed := s.cfg.Security.AllowedHosts
	if (len(allowed) == 0 && !s.cfg.Security.FailClosedHosts) || slices.Contains(allowed, "*") {
		return next
	}
	return func(c echo.Context) error {
		host := c.Request().Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		for _, a := range allowed {
			a = strings.ToLower(a)
			if host == a || (strings.HasPrefix(a, ".") && (strings.HasSuffix(host, a) || host == a[1:])) {
				return next(c)
			}
		}
		return domain.E(domain.KindBadRequest, "error.host_not_allowed")
	}
}

// isHTTPS reports whether the client's connection is HTTPS, believing the
// proxy's scheme header only when one is configured and the request came
// straight from a trusted proxy.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if h := s.cfg.Security.ProxySSLHeader; h != "" && s.proxies.trusts(r) {
		return strings.EqualFold(r.Header.Get(h), "https")
	}
	return false
}

// securityHeaders sends the headers Django's SecurityMiddleware sends, on
// every response, refusals included.
//
// echo v4 applies global middleware anew on every request (Echo.ServeHTTP
// calls applyMiddleware), so a middleware's constructor is per-request code
// too: the header values are prepared once per configuration
// (securityHeaderSet) and only looked up here.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sec := &s.cfg.Security
		req := c.Request()
		https := s.isHTTPS(req)
		set := securityHeadersFor(sec)
		h := c.Response().Header()
		if set.hsts != nil && https {
			h["Strict-Transport-Security"] = set.hsts
		}
		// Assigned rather than Set: Set would canonicalise each name and
		// allocate a one-element slice per response. The slices are shared
		// between responses, which is safe because nothing writes into a
		// header's values in place, and their capacity equals their length,
		// so an Add elsewhere copies instead of writing into them.
		for _, p := range set.static {
			h[p.name] = p.vals
		}
		return next(c)
	}
}

// sslRedirect redirects plain HTTP to HTTPS when configured. It runs after
// the host check, so only allowed hosts are ever redirected to. Health
// endpoints are exempt so load balancers can probe over plain HTTP.
func (s *Server) sslRedirect(next echo.HandlerFunc) echo.HandlerFunc {
	if !s.cfg.Security.SSLRedirect {
		return next
	}
	return func(c echo.Context) error {
		req := c.Request()
		if !s.isHTTPS(req) && req.URL.Path != "/healthz" && req.URL.Path != "/readyz" {
			return c.Redirect(http.StatusMovedPermanently, "https://"+req.Host+req.URL.RequestURI())
		}
		return next(c)
	}
}

// securityHeaderSet is the prepared form of the security headers of one
// configuration.
type securityHeaderSet struct {
	hsts   []string // nil: no HSTS
	static []presetHeader
}

// securityKey is what securityHeaderSet depends on, comparable so it can
// key a map without allocating.
type securityKey struct {
	hstsSeconds                  int
	subdomains, preload, nosniff bool
	referrer, opener, frame      string
}

var securitySets struct {
	sync.RWMutex
	m map[securityKey]*securityHeaderSet
}

// securityHeadersFor returns the prepared headers of sec, building them on
// first use. Configurations are few (one per process, a handful in tests).
func securityHeadersFor(sec *SecurityConfig) *securityHeaderSet {
	k := securityKey{sec.HSTSSeconds, sec.HSTSIncludeSubdomains, sec.HSTSPreload, sec.ContentTypeNosniff,
		sec.ReferrerPolicy, sec.CrossOriginOpener, sec.FrameOptions}
	securitySets.RLock()
	set, ok := securitySets.m[k]
	securitySets.RUnlock()
	if ok {
		return set
	}
	set = &securityHeaderSet{}
	if k.hstsSeconds > 0 {
		v := "max-age=" + strconv.Itoa(k.hstsSeconds)
		if k.subdomains {
			v += "; includeSubDomains"
		}
		if k.preload {
			v += "; preload"
		}
		set.hsts = []string{v}[:1:1]
	}
	add := func(name, value string) {
		if value != "" {
			set.static = append(set.static, presetHeader{name, []string{value}[:1:1]})
		}
	}
	if k.nosniff {
		add("X-Content-Type-Options", "nosniff")
	}
	add("Referrer-Policy", k.referrer)
	add("Cross-Origin-Opener-Policy", k.opener)
	add("X-Frame-Options", k.frame)
	securitySets.Lock()
	defer securitySets.Unlock()
	if securitySets.m == nil {
		securitySets.m = map[securityKey]*securityHeaderSet{}
	}
	securitySets.m[k] = set
	return set
}

// presetHeader is a response header whose value never changes; name is in
// canonical form.
type presetHeader struct {
	name string
	vals []string
}

// bodyLimit refuses bodies over the contract's 1 MiB with 413, whether the
// client declares the length or streams it.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > bodyLimit {
			return errTooLarge
		}
		if req.Body != http.NoBody { // most GETs: nothing to limit, nothing to allocate
			req.Body = http.MaxBytesReader(c.Response(), req.Body, bodyLimit)
		}
		return next(c)
	}
}

// requestTimeout bounds the work of one request so a slow database or Redis
// turns into a 503 instead of a hung client.
func (s *Server) requestTimeout(next echo.HandlerFunc) echo.HandlerFunc {
	d := s.cfg.HTTP.RequestTimeout
	if d <= 0 {
		return next
	}
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), d)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
