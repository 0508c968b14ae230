package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// RequestObserver receives every answered request; the metrics adapter
// implements it. route is the echo route template ("/api/v1/tasks/:id") or
// "unmatched", never the raw path, so the label set stays bounded.
type RequestObserver interface {
	RequestStarted()
	ObserveRequest(route, method string, status int, d time.Duration)
}

// MetricsConfig says how the server measures requests and exposes metrics.
//
// Exposure: with Addr set, /metrics is served only on that separate
// listener (a port the load balancer does not route to) and the API port
// answers 404. Otherwise it is served on the API port, guarded by Token;
// without a token it is open in development and absent (404) everywhere
// else, so a forgotten token never exposes internals on a public port.
// Token, when set, is required on either listener.
type MetricsConfig struct {
	Observer RequestObserver // nil: requests are not measured
	Handler  http.Handler    // the scrape handler; nil: no metrics anywhere
	Token    string          // bearer token required on /metrics; empty: none
	Addr     string          // separate listen address for /metrics; empty: the API port
}

// metricsState is the server's metrics wiring, kept apart from the
// Server's own fields.
type metricsState struct {
	cfg       MetricsConfig
	srv       *http.Server
	ln        net.Listener
	served    chan struct{}
	routes    map[string]bool
	routeOnce sync.Once
}

// metricsRoute is where the scrape handler lives on both listeners.
const metricsRoute = "/metrics"

// SetMetrics configures request metrics and /metrics. Call it before
// Listen: it is not safe to call while serving.
func (s *Server) SetMetrics(cfg MetricsConfig) { s.metrics.cfg = cfg }

// MetricsAddr is the bound address of the separate metrics listener, nil
// when there is none (or before Listen).
func (s *Server) MetricsAddr() net.Addr {
	if s.metrics.ln == nil {
		return nil
	}
	return s.metrics.ln.Addr()
}

// observeRequests is the outermost middleware: it sees the status the
// client got, after the error handler rendered any problem document.
func (s *Server) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		obs := s.metrics.cfg.Observer
		if obs == nil {
			return next(c)
		}
		start := time.Now()
		obs.RequestStarted()
		// Deferred so an aborted handler (http.ErrAbortHandler re-panics past
		// recoverMiddleware) still leaves the in-flight gauge.
		defer func() {
			obs.ObserveRequest(s.routeLabel(c), c.Request().Method, c.Response().Status, time.Since(start))
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// routeLabel is the matched route template, or "unmatched". echo leaves
// the longest matching prefix in c.Path() for a 404, or nothing at all, so
// only templates that are registered routes are used as labels.
func (s *Server) routeLabel(c echo.Context) string {
	s.metrics.routeOnce.Do(func() {
		s.metrics.routes = map[string]bool{}
		for _, r := range s.e.Routes() {
			s.metrics.routes[r.Path] = true
		}
	})
	if p := c.Path(); s.metrics.routes[p] {
		return p
	}
	return "unmatched"
}

// metricsEndpoint is GET /metrics on the API port.
func (s *Server) metricsEndpoint(c echo.Context) error {
	m := s.metrics.cfg
	if m.Handler == nil || m.Addr != "" || (m.Token == "" && !s.cfg.Development) {
		return echo.ErrNotFound
	}
	if m.Token != "" && !bearerMatches(c.Request(), m.Token) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return domain.ErrUnauthenticated
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	m.Handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// bearerMatches compares the request's bearer token with want in constant
// time. Both are hashed first so that neither the content nor the length
// of the token leaks through timing.
func bearerMatches(r *http.Request, want string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	g := sha256.Sum256([]byte(strings.TrimSpace(got)))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// listenMetrics binds the separate metrics listener when one is configured.
func (s *Server) listenMetrics() error {
	m := s.metrics.cfg
	if m.Addr == "" || m.Handler == nil {
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (metrics): %w", m.Addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+metricsRoute, func(w http.ResponseWriter, r *http.Request) {
		if m.Token != "" && !bearerMatches(r, m.Token) {
			w.Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		m.Handler.ServeHTTP(w, r)
	})
	s.metrics.ln = ln
	s.metrics.served = make(chan struct{})
	s.metrics.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: s.cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.HTTP.ReadTimeout,
		WriteTimeout:      s.cfg.HTTP.WriteTimeout,
		IdleTimeout:       s.cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          s.srv.ErrorLog,
	}
	return nil
}

// serveMetrics serves the separate listener in its own goroutine.
func (s *Server) serveMetrics() {
	if s.metrics.srv == nil {
		return
	}
	go func() {
		defer close(s.metrics.served)
		if err := s.metrics.srv.Serve(s.metrics.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", "err", err)
		}
	}()
}

// shutdownMetrics closes the separate listener after the API drained, so
// the drain itself can still be watched.
func (s *Server) shutdownMetrics(ctx context.Context) error {
	if s.metrics.srv == nil {
		return nil
	}
	err := s.metrics.srv.Shutdown(ctx)
	select {
	case <-s.metrics.served:
	case <-ctx.Done():
	}
	if err != nil {
		return fmt.Errorf("shut down metrics server: %w", err)
	}
	return nil
}
