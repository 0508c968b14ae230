package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// listDTO is the contract's page: {items, next_cursor}.
type listDTO[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func listOut[S, T any](items []S, conv func(S) T, next *string) listDTO[T] {
	out := listDTO[T]{Items: make([]T, len(items)), NextCursor: next}
	for i, it := range items {
		out.Items[i] = conv(it)
	}
	return out
}

// listByID serves a list paged by an ID cursor bound to scope (so a cursor
// from one list is refused by another): fetch returns the page after the
// given ID and whether more follow; idOf is an item's cursor position.
func listByID[T, D any](c echo.Context, cursors cursorCodec, scope string,
	fetch func(after int64, limit int) ([]T, bool, error), idOf func(T) int64, out func(T) D,
) error {
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	var after int64
	if s := c.QueryParam("cursor"); s != "" {
		cur, err := cursors.decode(scope, s)
		if err != nil {
			return err
		}
		after = cur.ID
	}
	items, more, err := fetch(after, limit)
	if err != nil {
		return err
	}
	var next *string
	if more {
		s := cursors.encode(scope, cursorPayload{ID: idOf(items[len(items)-1])})
		next = &s
	}
	return c.JSON(http.StatusOK, listOut(items, out, next))
}
