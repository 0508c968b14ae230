// Package domain holds what every Onit module shares: the coded error type that
// carries a kind from the core to the adapters, which map kinds to HTTP statuses
// and CLI exit codes in one place each.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. Adapters map
// kinds, never error strings, to their own vocabulary (HTTP status, exit code).
type Kind uint8

// The kinds of error the core reports.
const (
	KindInternal           Kind = iota // a bug or an unexpected failure; details are logged, not shown
	KindInvalid                        // the input breaks a rule; Fields says which
	KindNotFound                       // the thing does not exist or the caller may not know it does
	KindConflict                       // the change clashes with the current state (duplicate, last owner)
	KindUnauthenticated                // no valid credentials
	KindForbidden                      // authenticated, but not allowed
	KindPreconditionFailed             // an If-Match precondition no longer holds
	KindRateLimited                    // too many attempts; RetryAfter says when to come back
	KindUnavailable                    // a backing service is down or read-only; retrying later may work
	KindBadRequest                     // the request itself is malformed (syntax, not rules)
)

var kindNames = [...]string{
	KindInternal:           "internal",
	KindInvalid:            "invalid",
	KindNotFound:           "not_found",
	KindConflict:           "conflict",
	KindUnauthenticated:    "unauthenticated",
	KindForbidden:          "forbidden",
	KindPreconditionFailed: "precondition_failed",
	KindRateLimited:        "rate_limited",
	KindUnavailable:        "unavailable",
	KindBadRequest:         "bad_request",
}

// String returns the kind's stable name, used in logs and as the problem type suffix.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// FieldError is one broken rule on one input field. Field is the name the
// client used (the JSON name); Code is a stable machine-readable code such as
// "required" or "password_too_short"; Key and Params select the translated message.
type FieldError struct {
	Field  string
	Code   string
	Key    string
	Params map[string]any
}

// Error is the one error type the core returns. Key names a translatable
// message (see adapters/i18n); Params fill its placeholders. Err, when set, is
// the cause, kept for logs and errors.Is/As but never shown to clients.
type Error struct {
	Kind       Kind
	Key        string
	Params     map[string]any
	Fields     []FieldError
	RetryAfter time.Duration
	Err        error
}

// Error renders the kind, key and cause for logs.
func (e *Error) Error() string {
	msg := e.Kind.String()
	if e.Key != "" {
		msg += ": " + e.Key
	}
	if len(e.Fields) > 0 {
		for _, f := range e.Fields {
			msg += fmt.Sprintf(" [%s:%s]", f.Field, f.Code)
		}
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match two coded errors with the same kind and key, so a
// sentinel such as ErrLastOwner matches a copy that carries a cause.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && t.Key == e.Key && t.Key != ""
}

// E builds a coded error of the given kind with a message key.
func E(kind Kind, key string) *Error { return &Error{Kind: kind, Key: key} }

// Wrap attaches a cause to a copy of e, keeping its kind and key.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// With returns a copy of e with the message parameters set.
func (e *Error) With(params map[string]any) *Error {
	c := *e
	c.Params = params
	return &c
}

// Invalid builds a KindInvalid error listing every broken field rule at once.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Key: "error.invalid", Fields: fields}
}

// Internal wraps an unexpected failure. Its message is never shown to clients.
func Internal(cause error) *Error {
	return &Error{Kind: KindInternal, Key: "error.internal", Err: cause}
}

// Unavailable wraps a failure of a backing service that may pass by itself.
func Unavailable(cause error) *Error {
	return &Error{Kind: KindUnavailable, Key: "error.unavailable", Err: cause}
}

// KindOf reports the kind of the first coded error in err's chain, or
// KindInternal when there is none: an uncoded error is by definition unexpected.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return KindInternal
}

// As returns the first coded error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// IsKind reports whether err carries the given kind.
func IsKind(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Generic errors shared by modules.
var (
	ErrNotFound           = E(KindNotFound, "error.not_found")
	ErrForbidden          = E(KindForbidden, "error.forbidden")
	ErrUnauthenticated    = E(KindUnauthenticated, "error.unauthenticated")
	ErrPreconditionFailed = E(KindPreconditionFailed, "error.precondition_failed")
	ErrConflict           = E(KindConflict, "error.conflict")
)
