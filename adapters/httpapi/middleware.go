package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// requestIDMiddleware echoes a sane X-Request-ID or makes one. Incoming IDs
// are accepted only when short and printable, so logs cannot be polluted.
func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
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
// line has the status the client got.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		s.log.LogAttrs(req.Context(), levelFor(res.Status), "request",
			slog.String("request_id", requestID(c)),
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.RealIP()),
		)
		return nil
	}
}

// recoverMiddleware turns a panic into a logged stack and a 500 problem.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
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
// "*" or an empty list allows any host; ".example.com" allows subdomains.
func (s *Server) hostMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	allowed := s.cfg.Security.AllowedHosts
	if len(allowed) == 0 || slices.Contains(allowed, "*") {
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

// isHTTPS reports whether the client's connection is HTTPS, trusting the
// proxy header only when one is configured.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if h := s.cfg.Security.ProxySSLHeader; h != "" {
		return strings.EqualFold(r.Header.Get(h), "https")
	}
	return false
}

// securityHeaders sends the headers Django's SecurityMiddleware sends, and
// redirects to HTTPS when configured. Health endpoints are exempt from the
// redirect so load balancers can probe over plain HTTP.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	sec := s.cfg.Security
	hsts := ""
	if sec.HSTSSeconds > 0 {
		hsts = "max-age=" + strconv.Itoa(sec.HSTSSeconds)
		if sec.HSTSIncludeSubdomains {
			hsts += "; includeSubDomains"
		}
		if sec.HSTSPreload {
			hsts += "; preload"
		}
	}
	return func(c echo.Context) error {
		req := c.Request()
		https := s.isHTTPS(req)
		if sec.SSLRedirect && !https && req.URL.Path != "/healthz" && req.URL.Path != "/readyz" {
			return c.Redirect(http.StatusMovedPermanently, "https://"+req.Host+req.URL.RequestURI())
		}
		h := c.Response().Header()
		if hsts != "" && https {
			h.Set("Strict-Transport-Security", hsts)
		}
		if sec.ContentTypeNosniff {
			h.Set("X-Content-Type-Options", "nosniff")
		}
		if sec.ReferrerPolicy != "" {
			h.Set("Referrer-Policy", sec.ReferrerPolicy)
		}
		if sec.CrossOriginOpener != "" {
			h.Set("Cross-Origin-Opener-Policy", sec.CrossOriginOpener)
		}
		if sec.FrameOptions != "" {
			h.Set("X-Frame-Options", sec.FrameOptions)
		}
		return next(c)
	}
}

// bodyLimit refuses bodies over the contract's 1 MiB with 413, whether the
// client declares the length or streams it.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > bodyLimit {
			return errTooLarge
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, bodyLimit)
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
