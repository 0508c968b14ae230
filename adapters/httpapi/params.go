package httpapi

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

func callerID(c echo.Context) (int64, error) {
	pr, ok := principal(c)
	if !ok {
		return 0, domain.ErrUnauthenticated
	}
	return pr.User.ID, nil
}

func callerAndID(c echo.Context, param string) (int64, int64, error) {
	uid, err := callerID(c)
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(c, param)
	return uid, id, err
}

// pathID parses a positive int64 path parameter; anything else (letters,
// overflow, zero) is a 400 naming the parameter.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badParam(name, "id", "validation.id")
	}
	return id, nil
}

// limitParam parses ?limit=; syntax errors are 400, the range is the app's (422).
func limitParam(c echo.Context) (int, error) {
	s := c.QueryParam("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badParam("limit", "number", "validation.number")
	}
	if n < 1 || n > 1000 {
		n = -1 // out of range whatever its size; the app says so with 422
	}
	return n, nil
}

// textParams reads free-text query parameters, refusing a NUL character
// in any of them (422 null_characters_not_allowed, as Django's
// ProhibitNullCharactersValidator does in every form field). Parameters
// that are parsed (ids, dates, limits, cursors) refuse it by their syntax.
func textParams(c echo.Context, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, name := range names {
		v := c.QueryParam(name)
		if strings.IndexByte(v, 0) >= 0 {
			return nil, nulField(name)
		}
		out[i] = v
	}
	return out, nil
}

func badParam(field, code, key string) error {
	e := domain.Invalid(domain.FieldError{Field: field, Code: code, Key: key})
	e.Kind, e.Key = domain.KindBadRequest, "error.invalid_param"
	return e
}

func idempotencyKey(c echo.Context) string { return c.Request().Header.Get("Idempotency-Key") }
