package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/ports"
)

// ReadYourWritesConfig makes a client read its own writes when lists may
// come from a lagging read replica.
type ReadYourWritesConfig struct {
	// Window is how long after a successful write the client's reads go to
	// the primary (ONIT_MYSQL_REPLICA_READ_YOUR_WRITES); 0: off (no replica).
	Window time.Duration
	Secure bool // the cookie's Secure flag, as the session cookie's
}

// readYourWritesCookie carries the end of the window (Unix milliseconds).
// It is set by whichever instance took the write and read by whichever
// takes the next request, so it works across instances behind a load
// balancer without a shared store (Redis commands are the scarce resource).
// A forged value can only send that client's reads to the primary, which
// is always correct, so it is not signed; it is capped at one window.
const readYourWritesCookie = "onit_rw"

// readYourWrites marks the request context for primary reads while the
// client's window is open, and opens a window after every successful
// unsafe request (a write).
func (s *Server) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	w := s.cfg.ReadYourWrites.Window
	if w <= 0 {
		return next
	}
	return func(c echo.Context) error {
		now := time.Now()
		if ck, err := c.Cookie(readYourWritesCookie); err == nil {
			if until, err := strconv.ParseInt(ck.Value, 10, 64); err == nil {
				end := time.UnixMilli(until)
				if end.After(now) && end.Sub(now) <= w {
					r := c.Request()
					c.SetRequest(r.WithContext(ports.WithPrimaryReads(r.Context())))
				}
			}
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			res := c.Response()
			res.Before(func() {
				if res.Status >= 400 {
					return
				}
				http.SetCookie(res, &http.Cookie{
					Name: readYourWritesCookie, Value: strconv.FormatInt(now.Add(w).UnixMilli(), 10),
					Path: "/", MaxAge: int(math.Ceil(w.Seconds())), HttpOnly: true,
					Secure: s.cfg.ReadYourWrites.Secure, SameSite: http.SameSiteLaxMode,
				})
			})
		}
		return next(c)
	}
}
