// Package cli is the command-line adapter: the `onit` binary's management
// commands in the spirit of Django's manage.py (serve, migrate, check,
// createsuperuser, …). It parses arguments, prompts, formats output and
// decides exit codes; what a command acts on comes from a Backend, which
// bootstrap implements with the same wiring the server uses.
//
// Conventions shared by every command: flags are GNU-style (--flag,
// --flag=value, anywhere among the arguments), help goes to standard
// output, errors go to standard error as one line starting with "onit",
// and the exit status is 0 for success, 1 for a failure and 2 for bad
// usage or settings.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Stdio is where a command reads and writes.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit statuses shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed (or found errors)
	ExitUsage   = 2 // bad arguments or settings
)

// UsageError is a failure the operator fixes by changing the command line
// or the settings; it exits with ExitUsage. Backend methods return it for
// settings that do not load.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// Usage wraps err as a UsageError.
func Usage(err error) error { return &UsageError{Err: err} }

// command is one management command.
type command struct {
	name     string
	synopsis string // arguments after the name, for the usage line
	summary  string
	// args is how many positional arguments the command takes: exactly
	// args, or any number from args when variadic.
	args     int
	variadic bool
	flags    func(fs *flagSet) // declares the flags; nil: none
	run      func(ctx context.Context, inv *invocation) error
}

// CLI runs commands against a backend.
type CLI struct {
	backend Backend
	cmds    map[string]*command
}

// New returns the command line of Onit over backend.
func New(backend Backend) *CLI {
	c := &CLI{backend: backend, cmds: map[string]*command{}}
	for _, cmd := range []*command{
		serveCommand(), migrateCommand(), settingsCommand(), clearSessionsCommand(), revokeSessionsCommand(), housekeepingCommand(), versionCommand(),
		checkCommand(), createSuperuserCommand(), changePasswordCommand(), dbstatsCommand(), importCommand(),
	} {
		c.cmds[cmd.name] = cmd
	}
	return c
}

// Main runs the command named by args[0] and returns the exit status.
func (c *CLI) Main(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 {
		c.usage(stdio.Err)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" {
			cmd, ok := c.cmds[args[1]]
			if !ok {
				return c.unknown(stdio, args[1])
			}
			c.commandHelp(stdio.Out, cmd, newFlagSet(cmd))
			return ExitOK
		}
		c.usage(stdio.Out)
		return ExitOK
	}
	cmd, ok := c.cmds[args[0]]
	if !ok {
		return c.unknown(stdio, args[0])
	}
	return c.run(ctx, cmd, args[1:], stdio)
}

func (c *CLI) unknown(stdio Stdio, name string) int {
	fmt.Fprintf(stdio.Err, "onit: unknown command %q\nRun 'onit help' for the list of commands.\n", name)
	return ExitUsage
}

func (c *CLI) names() []string {
	names := make([]string, 0, len(c.cmds))
	for n := range c.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *CLI) usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: onit <command> [arguments] [--flags]\n\nCommands:")
	for _, n := range c.names() {
		fmt.Fprintf(w, "  %-16s %s\n", n, c.cmds[n].summary)
	}
	fmt.Fprintln(w, "\nSettings come from ONIT_* variables and ./.env (see README.md).\nRun 'onit help <command>' or 'onit <command> --help' for a command's flags.")
}

func (c *CLI) commandHelp(w io.Writer, cmd *command, fs *flagSet) {
	fmt.Fprintf(w, "Usage: onit %s\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.synopsis), cmd.summary)
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

// run parses the arguments and runs cmd, turning its error into one line
// and an exit status.
func (c *CLI) run(ctx context.Context, cmd *command, args []string, stdio Stdio) int {
	fs := newFlagSet(cmd)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, errHelp) {
			c.commandHelp(stdio.Out, cmd, fs)
			return ExitOK
		}
		return c.badUsage(stdio, cmd, err.Error())
	}
	pos := fs.Args()
	switch {
	case len(pos) > cmd.args && !cmd.variadic:
		return c.badUsage(stdio, cmd, fmt.Sprintf("unexpected argument %q", pos[cmd.args]))
	case len(pos) < cmd.args:
		return c.badUsage(stdio, cmd, "missing arguments")
	}
	inv := &invocation{cli: c, cmd: cmd, flags: fs, args: pos, stdio: stdio}
	err := cmd.run(ctx, inv)
	if err == nil {
		return ExitOK
	}
	var exit *exitStatus
	if errors.As(err, &exit) {
		return exit.code
	}
	fmt.Fprintf(stdio.Err, "onit %s: %s\n", cmd.name, oneLine(err.Error()))
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

func (c *CLI) badUsage(stdio Stdio, cmd *command, msg string) int {
	fmt.Fprintf(stdio.Err, "onit %s: %s\nUsage: onit %s\nRun 'onit %s --help' for its flags.\n",
		cmd.name, msg, strings.TrimSpace(cmd.name+" "+cmd.synopsis), cmd.name)
	return ExitUsage
}

// oneLine keeps an error on one line: several errors joined with newlines
// (errors.Join) read as "a; b".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}

// exitStatus ends a command with a status and nothing more to print (the
// command has printed its own report).
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// invocation is one run of a command.
type invocation struct {
	cli   *CLI
	cmd   *command
	flags *flagSet
	args  []string
	stdio Stdio
}

func (inv *invocation) backend() Backend { return inv.cli.backend }

// usageError is a usage error in this command's own words.
func (inv *invocation) usageError(format string, a ...any) error {
	return Usage(fmt.Errorf(format, a...))
}
