package bootstrap

import (
	"errors"
	"strings"

	"go.uber.org/dig"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/env"
)

// failure is a start-up failure the operator fixes outside Onit: err says
// what failed and where (host:port, never a password), settings names the
// variables to look at.
type failure struct {
	settings string
	err      error
}

func (f *failure) Error() string {
	if f.settings == "" {
		return f.err.Error()
	}
	return f.err.Error() + " (check " + f.settings + ")"
}

func (f *failure) Unwrap() error { return f.err }

// describeFailure turns an error from building or starting the application
// into what the operator reads: one line, without fx's source positions or
// Onit's message keys. Settings errors become usage errors (exit status 2).
func describeFailure(err error) error {
	var es env.Errors
	if errors.As(err, &es) {
		return cli.Usage(es)
	}
	var se *env.Error
	if errors.As(err, &se) {
		return cli.Usage(se)
	}
	var f *failure
	if errors.As(err, &f) {
		return errors.New("cannot start: " + f.Error())
	}
	// Anything else: the constructor's or hook's own error, which is what
	// fx wraps with the function's name and file.
	root := dig.RootCause(err)
	msg := root.Error()
	// fx's lifecycle errors name the hook's caller: "OnStart hook added by
	// bootstrap.runServer failed: <cause>".
	if _, rest, ok := strings.Cut(msg, " failed: "); ok && strings.Contains(msg, "hook added by") {
		msg = rest
	}
	return errors.New("cannot start: " + msg)
}
