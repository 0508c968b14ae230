package projects

import (
	"github.com/onitapp/onit/domain"
)

func checkLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 1 || limit > MaxLimit:
		return 0, domain.Invalid(domain.FieldError{Field: "limit", Code: "range", Key: "projects.limit_range",
			Params: map[string]any{"min": 1, "max": MaxLimit}})
	}
	return limit, nil
}

// page trims a result fetched with limit+1 rows and tells whether there is more.
func page[T any](items []T, limit int, err error) ([]T, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}
