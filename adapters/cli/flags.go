package cli

import (
	"errors"
	"io"

	"github.com/spf13/pflag"
)

// errHelp is --help or -h on a command line.
var errHelp = pflag.ErrHelp

// flagSet is pflag's GNU-style set: --name and --name=value anywhere among
// the arguments, -- ends the flags. Errors are returned, never printed, so
// the command decides how they read.
type flagSet struct{ *pflag.FlagSet }

func newFlagSet(cmd *command) *flagSet {
	fs := &flagSet{pflag.NewFlagSet("onit "+cmd.name, pflag.ContinueOnError)}
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	return fs
}

// Parse parses args; --help and -h report errHelp.
func (fs *flagSet) Parse(args []string) error {
	err := fs.FlagSet.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return errHelp
	}
	return err
}
