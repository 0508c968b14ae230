package httpapi

import (
	"encoding/json"

	"github.com/onitapp/onit/domain"
)

// optional is a JSON field that records whether it was present and whether
// it was null, which a plain pointer cannot tell apart.
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON marks the field present; null sets Null.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// notNull returns the value when present, nil when absent, and adds a field
// error for an explicit null on a field that cannot be cleared.
func (o optional[T]) notNull(field string, fe []domain.FieldError) (*T, []domain.FieldError) {
	switch {
	case !o.Set:
		return nil, fe
	case o.Null:
		return nil, append(fe, domain.FieldError{Field: field, Code: "required", Key: "validation.required"})
	}
	v := o.Value
	return &v, fe
}
