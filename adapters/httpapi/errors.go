package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[domain.Kind]int{
	domain.KindInternal:           http.StatusInternalServerError,
	domain.KindInvalid:            http.StatusUnprocessableEntity,
	domain.KindNotFound:           http.StatusNotFound,
	domain.KindConflict:           http.StatusConflict,
	domain.KindUnauthenticated:    http.StatusUnauthorized,
	domain.KindForbidden:          http.StatusForbidden,
	domain.KindPreconditionFailed: http.StatusPreconditionFailed,
	domain.KindRateLimited:        http.StatusTooManyRequests,
	domain.KindUnavailable:        http.StatusServiceUnavailable,
	domain.KindBadRequest:         http.StatusBadRequest,
}

// problem is an RFC 9457 problem document as the contract shapes it.
type problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Instance string         `json:"instance"`
	Errors   []problemField `json:"errors,omitempty"`
}

type problemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classified is an error reduced to what the client sees.
type classified struct {
	status     int
	titleKey   string
	typeName   string
	err        *domain.Error
	retryAfter int
}

// classify reduces any error a handler or middleware returns to a status and
// a coded domain error. echo's own errors (routing, body limit) are mapped
// here too, so there is exactly one place that decides statuses.
func classify(err error) classified {
	var he *echo.HTTPError
	if errors.As(err, &he) && !isCoded(err) {
		switch he.Code {
		case http.StatusNotFound:
			return classified{status: 404, titleKey: "title.not_found", typeName: "not_found", err: domain.E(domain.KindNotFound, "error.route_not_found")}
		case http.StatusMethodNotAllowed:
			return classified{status: 405, titleKey: "title.method_not_allowed", typeName: "method_not_allowed", err: domain.E(domain.KindBadRequest, "error.method_not_allowed")}
		case http.StatusRequestEntityTooLarge:
			return classified{status: 413, titleKey: "title.too_large", typeName: "too_large", err: domain.E(domain.KindBadRequest, "error.body_too_large").With(map[string]any{"limit": bodyLimit})}
		case http.StatusUnsupportedMediaType:
			return classified{status: 415, titleKey: "title.unsupported_media_type", typeName: "unsupported_media_type", err: domain.E(domain.KindBadRequest, "error.unsupported_media_type")}
		case http.StatusBadRequest:
			return classified{status: 400, titleKey: "title.bad_request", typeName: "bad_request", err: domain.E(domain.KindBadRequest, "error.invalid_param")}
		case http.StatusServiceUnavailable:
			return classified{status: 503, titleKey: "title.unavailable", typeName: "unavailable", err: domain.Unavailable(err)}
		}
		if he.Code >= 400 && he.Code < 500 {
			return classified{status: he.Code, titleKey: "title.bad_request", typeName: "bad_request", err: domain.E(domain.KindBadRequest, "error.invalid_param")}
		}
		return classified{status: 500, titleKey: "title.internal", typeName: "internal", err: domain.Internal(err)}
	}
	de, ok := domain.As(err)
	if !ok {
		de = domain.Internal(err)
	}
	if errors.Is(err, errTooLarge) {
		return classified{status: 413, titleKey: "title.too_large", typeName: "too_large", err: de}
	}
	if errors.Is(err, errUnsupportedMedia) {
		return classified{status: 415, titleKey: "title.unsupported_media_type", typeName: "unsupported_media_type", err: de}
	}
	status, known := statusOf[de.Kind]
	if !known {
		status, de = 500, domain.Internal(err)
	}
	c := classified{status: status, titleKey: "title." + de.Kind.String(), typeName: de.Kind.String(), err: de}
	// Retry-After: a throttle, a busy or draining server, or a keyed
	// request still in progress (409).
	if (de.Kind == domain.KindRateLimited || de.Kind == domain.KindUnavailable || de.Kind == domain.KindConflict) && de.RetryAfter > 0 {
		c.retryAfter = int(math.Ceil(de.RetryAfter.Seconds()))
	}
	return c
}

func isCoded(err error) bool {
	_, ok := domain.As(err)
	return ok
}

// handleError is echo's HTTPErrorHandler: every failure leaves as a
// translated problem document. Internal errors are logged with the request
// ID and shown only as "internal error".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	cl := classify(err)
	req := c.Request()
	// Internal errors are the ones with a cause worth a line of its own;
	// the access line already says a request got 503 (an unavailable
	// server, a draining instance), and probes say it at debug.
	if cl.status >= 500 && cl.status != http.StatusServiceUnavailable {
		s.log.ErrorContext(req.Context(), "request failed",
			"request_id", requestID(c), "method", req.Method, "path", req.URL.Path,
			"route", c.Path(), "status", cl.status, "err", err)
	}
	lang := language(c)
	p := problem{
		Type:     "urn:onit:problem:" + cl.typeName,
		Title:    s.cat.T(lang, cl.titleKey, nil),
		Status:   cl.status,
		Detail:   s.cat.T(lang, cl.err.Key, cl.detailParams()),
		Instance: req.URL.Path,
	}
	if cl.status == 500 && s.debug && cl.err.Err != nil {
		// Debug (development only) shows the cause, as Django's DEBUG page does.
		p.Detail += " (" + cl.err.Err.Error() + ")"
	}
	for _, f := range cl.err.Fields {
		p.Errors = append(p.Errors, problemField{Field: f.Field, Code: f.Code, Message: s.cat.T(lang, f.Key, f.Params)})
	}
	h := c.Response().Header()
	if cl.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(cl.retryAfter))
	}
	body, merr := json.Marshal(p)
	if merr != nil {
		s.log.ErrorContext(req.Context(), "encode problem", "err", merr)
		body = []byte(fmt.Sprintf(`{"type":"urn:onit:problem:internal","title":"Internal error","status":%d}`, cl.status))
	}
	if req.Method == http.MethodHead {
		err = c.NoContent(cl.status)
	} else {
		err = c.Blob(cl.status, "application/problem+json", body)
	}
	if err != nil {
		s.log.WarnContext(req.Context(), "write problem", "request_id", requestID(c), "err", err)
	}
}

func (cl classified) detailParams() map[string]any {
	if cl.retryAfter > 0 {
		p := map[string]any{"seconds": cl.retryAfter}
		for k, v := range cl.err.Params {
			p[k] = v
		}
		return p
	}
	return cl.err.Params
}
