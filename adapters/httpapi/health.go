package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// pingTimeout bounds each readiness probe: a load balancer's health check
// must get an answer well inside its own timeout.
const pingTimeout = 2 * time.Second

// healthz is liveness: the process serves.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is readiness: MySQL and Redis answer and the server is not
// draining. The probes run concurrently so one slow dependency costs one
// timeout, not the sum.
func (s *Server) readyz(c echo.Context) error {
	if s.draining.Load() {
		return domain.E(domain.KindUnavailable, "error.shutting_down")
	}
	results := make(map[string]string, len(s.checks))
	var failed []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ch := range s.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.Request().Context(), pingTimeout)
			defer cancel()
			err := ch.Ping(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[ch.Name()] = "unavailable"
				failed = append(failed, ch.Name())
				return
			}
			results[ch.Name()] = "ok"
			// A service Onit serves without (a read replica) says how it is.
			if d, ok := ch.(interface{ Detail() string }); ok {
				results[ch.Name()] = d.Detail()
			}
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		s.log.WarnContext(c.Request().Context(), "not ready", "unavailable", strings.Join(failed, ", "))
		e := domain.E(domain.KindUnavailable, "error.not_ready").With(map[string]any{"services": strings.Join(failed, ", ")})
		return e.Wrap(fmt.Errorf("not ready: %s", strings.Join(failed, ", ")))
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "checks": results})
}
