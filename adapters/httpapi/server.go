// Package httpapi is the HTTP adapter: the echo router, middleware, the JSON
// API handlers of every module, problem documents and the OpenAPI document.
// echo is used only inside this package, so a move to echo v5 touches one
// package.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/i18n"
)

// Config is what the HTTP adapter needs, as plain values: bootstrap fills
// it from the settings, tests write it directly.
type Config struct {
	// Development opens /metrics on the API port without a token.
	Development bool
	HTTP        HTTPConfig
	Security    SecurityConfig
	// ReadYourWrites is off without a read replica (consistency.go).
	ReadYourWrites ReadYourWritesConfig
}

// HTTPConfig is the listener and its timeouts.
type HTTPConfig struct {
	Addr              string
	ReadHeaderTimeout time.Duration // slowloris guard
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	RequestTimeout    time.Duration // deadline of one request's work; 0: none
	ShutdownDelay     time.Duration // how long /readyz answers 503 before the listener closes
}

// SecurityConfig is Django's SecurityMiddleware settings and the host
// check.
type SecurityConfig struct {
	// Debug shows internal error details in problem documents; bootstrap
	// never sets it in production.
	Debug        bool
	AllowedHosts []string // "*": any Host; empty: any Host unless FailClosedHosts
	// FailClosedHosts makes an empty AllowedHosts refuse every Host, as
	// Django does with DEBUG off; bootstrap sets it in production.
	FailClosedHosts       bool
	HSTSSeconds           int // 0: no Strict-Transport-Security
	HSTSIncludeSubdomains bool
	HSTSPreload           bool
	SSLRedirect           bool
	ProxySSLHeader        string // the trusted proxy's scheme header; "": none
	// TrustedProxies are CIDR ranges (or addresses) of the proxies whose
	// X-Forwarded-For and scheme header are believed; empty: nobody's.
	TrustedProxies     []string
	ContentTypeNosniff bool
	ReferrerPolicy     string
	CrossOriginOpener  string
	FrameOptions       string
	// CORSAllowedOrigins may call the API cross-origin with credentials
	// (exact origins); empty: CORS is off.
	CORSAllowedOrigins []string
}

// Checker is a backing service /readyz asks before reporting ready.
type Checker interface {
	Name() string
	Ping(ctx context.Context) error
}

// Module registers a feature module's routes on the /api/v1 group.
type Module func(api *echo.Group)

// Server is Onit's HTTP server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	cat      *i18n.Catalog
	e        *echo.Echo
	srv      *http.Server
	ln       net.Listener
	checks   []Checker
	draining atomic.Bool
	debug    bool
	openapi  []byte
	served   chan struct{}
	metrics  metricsState // request metrics and /metrics (metrics.go)
	// profiling is the optional loopback pprof listener (pprof.go).
	profiling profilingState
	// middleware and chain: see use (chain.go).
	middleware []echo.MiddlewareFunc
	chain      echo.HandlerFunc
	proxies    trustedProxies
	requestIDs *requestIDs
}

// New builds the router with every module's routes. It does not listen yet.
func New(cfg Config, log *slog.Logger, cat *i18n.Catalog, checks []Checker, modules ...Module) (*Server, error) {
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	proxies, err := parseTrustedProxies(cfg.Security.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, cat: cat, checks: checks, debug: cfg.Security.Debug, openapi: doc, served: make(chan struct{}), proxies: proxies,
		requestIDs: newRequestIDs()}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The client address feeds the throttles, so it must not be spoofable:
	// X-Forwarded-For is read only from ONIT_TRUSTED_PROXIES peers, never
	// from any private address as echo's own extractor would.
	e.IPExtractor = proxies.ipExtractor
	if cfg.Security.FailClosedHosts && len(cfg.Security.AllowedHosts) == 0 {
		log.Warn("ONIT_ALLOWED_HOSTS is empty: every request is refused with 400 until it names the site's hosts (onit.W020)")
	}
	// observeRequests (metrics.go) is outermost so it sees the final status.
	// The security headers come before the host check, so its 400 carries
	// them too, and the HTTPS redirect after it, so a foreign Host is never
	// redirected to.
	e.Pre(headAsGet)
	s.use(restoreHead, s.observeRequests, s.requestIDMiddleware, s.languageMiddleware, s.accessLog, s.recoverMiddleware,
		s.securityHeaders, s.hostMiddleware, s.sslRedirect, s.bodyLimit, s.requestTimeout, s.readYourWrites)
	if len(cfg.Security.CORSAllowedOrigins) > 0 {
		s.use(cors(cfg.Security.CORSAllowedOrigins)) // cors.go; before any route's authentication
	}
	e.Use(s.dispatch)

	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/api/openapi.json", s.openAPI)
	mountDocs(e)                           // docs.go
	e.GET(metricsRoute, s.metricsEndpoint) // metrics.go
	api := e.Group("/api/v1")
	for _, m := range modules {
		m(api)
	}
	s.e = e
	s.srv = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the router, for tests that need no listener.
func (s *Server) Handler() http.Handler { return s.e }

// Routes lists the registered routes (method and echo path template).
func (s *Server) Routes() []*echo.Route { return s.e.Routes() }

// Listen binds the configured address. It is separate from Serve so start-up
// fails at once (port in use) instead of inside a goroutine.
func (s *Server) Listen(ctx context.Context) error {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.HTTP.Addr, err)
	}
	if err := s.listenMetrics(); err != nil { // metrics.go
		_ = ln.Close()
		return err
	}
	if err := s.listenProfiling(ctx); err != nil { // pprof.go
		_ = ln.Close()
		if s.metrics.ln != nil {
			_ = s.metrics.ln.Close()
		}
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful when ONIT_HTTP_ADDR ends in :0).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve serves on the bound listener until Shutdown; run it in a goroutine.
func (s *Server) Serve() {
	defer close(s.served)
	s.serveMetrics()   // metrics.go
	s.serveProfiling() // pprof.go
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("http server stopped", "err", err)
	}
}

// Shutdown drains the server: /readyz turns 503 at once so load balancers
// stop sending traffic, new requests are still served during the delay,
// then the listener closes and in-flight requests get until ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if d := s.cfg.HTTP.ShutdownDelay; d > 0 {
		s.log.Info("draining: readiness is now 503, still serving", "delay", d)
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	attrs := []any{}
	if dl, ok := ctx.Deadline(); ok {
		attrs = append(attrs, "deadline", time.Until(dl).Round(time.Millisecond))
	}
	s.log.Info("draining: listener closed, waiting for in-flight requests", attrs...)
	err := s.srv.Shutdown(ctx)
	err = errors.Join(err, s.shutdownMetrics(ctx)) // metrics.go
	err = errors.Join(err, s.shutdownProfiling())  // pprof.go
	if s.ln != nil {
		<-s.served
	}
	if err != nil {
		s.log.Warn("draining: in-flight requests cut off", "err", err)
		return fmt.Errorf("shut down http server: %w", err)
	}
	s.log.Info("draining: done, no request in flight")
	return nil
}
