package httpapi

import "github.com/labstack/echo/v4"

// use adds global middleware, outermost first, and recomposes the chain.
//
// echo v4 applies e.Use middleware anew on every request (Echo.ServeHTTP
// calls applyMiddleware on the matched handler), so every middleware's
// constructor ran per request and allocated its closure: nine closures
// and their set-up per request, about a tenth of GET /api/v1/me's CPU in
// a profile under load. Here the chain is composed once, around a final
// handler that calls the route echo matched (c.Handler(), set by the
// router before the middleware runs), and echo is given the single
// middleware dispatch, which returns it without allocating.
//
// Middleware is added only while the server is being built (New,
// MountStatic), before it serves.
func (s *Server) use(mw ...echo.MiddlewareFunc) {
	s.middleware = append(s.middleware, mw...)
	h := echo.HandlerFunc(matchedRoute)
	for i := len(s.middleware) - 1; i >= 0; i-- {
		h = s.middleware[i](h)
	}
	s.chain = h
}

// matchedRoute runs the handler echo's router matched for this request
// (its own 404 or 405 handler when nothing matched).
func matchedRoute(c echo.Context) error { return c.Handler()(c) }

// dispatch is the one middleware echo applies per request: it ignores the
// handler echo passes, which is c.Handler() again, and returns the chain
// composed by use.
func (s *Server) dispatch(echo.HandlerFunc) echo.HandlerFunc { return s.chain }
