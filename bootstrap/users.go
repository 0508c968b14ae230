package bootstrap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.uber.org/fx"
	"golang.org/x/term"

	"github.com/onitapp/onit/adapters/i18n"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// maxTries is how often an interactive command asks again after a
// mismatch or a refused password, as Django's changepassword does.
const maxTries = 3

// runCreateSuperuser is Django's createsuperuser: interactive prompts by
// default; --noinput with --email, --name and a password from
// --password-stdin or --password-file for scripts (never a flag value,
// which would land in shell history and the process list).
func runCreateSuperuser(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("createsuperuser", "[--email EMAIL] [--name NAME] [--noinput] [--password-stdin | --password-file PATH] [--skip-validation]", stdio)
	email := fs.String("email", "", "the superuser's email (prompted for when missing, unless --noinput)")
	name := fs.String("name", "", "the superuser's name (prompted for when missing, unless --noinput)")
	noInput := fs.Bool("noinput", false, "never prompt; --email, --name and a password source are required")
	fs.BoolVar(noInput, "no-input", false, "same as --noinput")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pwFile := fs.String("password-file", "", "read the password from this file (e.g. a mounted secret)")
	skip := fs.Bool("skip-validation", false, "accept a password the validators refuse")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Err, "onit createsuperuser: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *pwStdin && *pwFile != "" {
		fmt.Fprintln(stdio.Err, "onit createsuperuser: give --password-stdin or --password-file, not both")
		return exitUsage
	}
	if *noInput && (*email == "" || *name == "" || (!*pwStdin && *pwFile == "")) {
		fmt.Fprintln(stdio.Err, "onit createsuperuser: --noinput needs --email, --name and --password-stdin or --password-file")
		return exitUsage
	}
	p := newPrompter(stdio)
	// A password given up front is read before the app starts, so a
	// missing file is a usage error, not a half-started app.
	given, err := givenPassword(p, *pwStdin, *pwFile)
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit createsuperuser: %v\n", err)
		return exitUsage
	}

	var svc *appaccounts.Service
	var cat *i18n.Catalog
	return withApp(ctx, stdio, func(ctx context.Context) error {
		e, n, pw, skipNow := *email, *name, given, *skip
		for range maxTries {
			var err error
			if e == "" {
				if e, err = p.line("Email: "); err != nil {
					return err
				}
			}
			if n == "" {
				if n, err = p.line("Name: "); err != nil {
					return err
				}
			}
			if pw == "" {
				pw, err = p.newPassword()
				if errors.Is(err, errMismatch) {
					fmt.Fprintln(stdio.Err, "Error: Your passwords didn't match.")
					continue
				}
				if err != nil {
					return err
				}
			}
			_, err = svc.CreateSuperuser(ctx, e, n, pw, skipNow)
			if err == nil {
				fmt.Fprintln(stdio.Out, "Superuser created successfully.")
				return nil
			}
			de, ok := domain.As(err)
			if !ok || *noInput || (de.Kind != domain.KindInvalid && de.Kind != domain.KindConflict) {
				return describe(cat, err)
			}
			// Ask again for what was prompted for and is at fault; a value
			// given up front cannot be fixed by prompting.
			bad := faultyFields(de)
			if (bad["email"] && *email != "") || (bad["name"] && *name != "") || (bad["password"] && given != "") {
				return describe(cat, err)
			}
			fmt.Fprintf(stdio.Err, "Error: %v\n", describe(cat, err))
			if bad["email"] {
				e = ""
			}
			if bad["name"] {
				n = ""
			}
			if !bad["password"] {
				continue
			}
			if bad["email"] || bad["name"] {
				pw = ""
				continue
			}
			// Django's way out: the operator may keep a password the
			// validators refuse, knowingly.
			yes, err := p.line("Bypass password validation and create user anyway? [y/N]: ")
			if err != nil {
				return err
			}
			if skipNow = strings.EqualFold(yes, "y") || strings.EqualFold(yes, "yes"); !skipNow {
				pw = ""
			}
		}
		return fmt.Errorf("giving up after %d attempts", maxTries)
	}, fx.Populate(&svc, &cat))
}

// runChangePassword is Django's changepassword for the user with that
// email: prompts twice (three attempts), or reads --password-stdin /
// --password-file. Every session of the user is revoked at once.
func runChangePassword(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("changepassword", "EMAIL [--password-stdin | --password-file PATH] [--skip-validation]", stdio)
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pwFile := fs.String("password-file", "", "read the password from this file")
	skip := fs.Bool("skip-validation", false, "accept a password the validators refuse")
	if ok, code := parseFlags(fs, interspersed(args, "password-file")); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	email := fs.Arg(0)
	if *pwStdin && *pwFile != "" {
		fmt.Fprintln(stdio.Err, "onit changepassword: give --password-stdin or --password-file, not both")
		return exitUsage
	}
	p := newPrompter(stdio)
	given, err := givenPassword(p, *pwStdin, *pwFile)
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit changepassword: %v\n", err)
		return exitUsage
	}

	var svc *appaccounts.Service
	var cat *i18n.Catalog
	return withApp(ctx, stdio, func(ctx context.Context) error {
		// An empty password is refused only after the user is looked up
		// (see SetPassword), so this asks whether the user exists before
		// the operator types anything, and changes nothing.
		if _, err := svc.SetPassword(ctx, email, "", true); domain.IsKind(err, domain.KindNotFound) {
			return fmt.Errorf("user %q does not exist", email)
		}
		if given == "" {
			fmt.Fprintf(stdio.Err, "Changing password for user '%s'\n", email)
		}
		for range maxTries {
			pw := given
			if pw == "" {
				var err error
				pw, err = p.newPassword()
				if errors.Is(err, errMismatch) {
					fmt.Fprintln(stdio.Err, "Passwords do not match. Please try again.")
					continue
				}
				if err != nil {
					return err
				}
			}
			revoked, err := svc.SetPassword(ctx, email, pw, *skip)
			if err == nil {
				fmt.Fprintf(stdio.Out, "Password changed successfully for user '%s' (%d sessions revoked).\n", email, revoked)
				return nil
			}
			if given != "" || !domain.IsKind(err, domain.KindInvalid) {
				return describe(cat, err)
			}
			fmt.Fprintf(stdio.Err, "Error: %v\n", describe(cat, err))
		}
		return fmt.Errorf("aborting password change for user '%s' after %d attempts", email, maxTries)
	}, fx.Populate(&svc, &cat))
}

// interspersed moves positional arguments after the flags, so
// `onit changepassword ada@x.com --password-stdin` works as people type it
// (package flag stops at the first non-flag). withValue names the flags
// that take a separate value.
func interspersed(args []string, withValue ...string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && slices.Contains(withValue, name) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(append(flags, "--"), pos...)
}

// describe turns a domain error into one line for the operator, with the
// field messages in the default language.
func describe(cat *i18n.Catalog, err error) error {
	de, ok := domain.As(err)
	if !ok || cat == nil {
		return err
	}
	lang := cat.Default()
	if len(de.Fields) == 0 {
		return errors.New(cat.T(lang, de.Key, de.Params))
	}
	msgs := make([]string, 0, len(de.Fields))
	for _, f := range de.Fields {
		msgs = append(msgs, f.Field+": "+cat.T(lang, f.Key, f.Params))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

func faultyFields(de *domain.Error) map[string]bool {
	out := map[string]bool{}
	for _, f := range de.Fields {
		out[f.Field] = true
	}
	if errors.Is(de, accounts.ErrEmailTaken) {
		out["email"] = true
	}
	return out
}

// givenPassword reads a password from stdin's first line or a file, or
// returns "" when neither is asked for.
func givenPassword(p *prompter, fromStdin bool, file string) (string, error) {
	switch {
	case fromStdin:
		pw, err := p.line("")
		if err != nil {
			return "", errors.New("--password-stdin: no password on standard input")
		}
		return pw, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		// Exactly one trailing newline is the file's, not the password's.
		return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
	}
	return "", nil
}

// prompter asks the operator. Passwords are read without echo when
// standard input is a terminal; piped input is read line by line.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
	fd  int
	tty bool
}

func newPrompter(stdio Stdio) *prompter {
	p := &prompter{in: bufio.NewReader(stdio.In), out: stdio.Err}
	if f, ok := stdio.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.fd, p.tty = int(f.Fd()), true
	}
	return p
}

// line prompts (to stderr, so stdout stays clean for scripts) and reads
// one line without its line ending. End of input is an error.
func (p *prompter) line(prompt string) (string, error) {
	if prompt != "" {
		fmt.Fprint(p.out, prompt)
	}
	s, err := p.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		return "", errors.New("input ended")
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (p *prompter) secret(prompt string) (string, error) {
	if !p.tty {
		return p.line(prompt)
	}
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

var errMismatch = errors.New("the passwords do not match")

// newPassword asks twice, as Django does.
func (p *prompter) newPassword() (string, error) {
	pw, err := p.secret("Password: ")
	if err != nil {
		return "", err
	}
	again, err := p.secret("Password (again): ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errMismatch
	}
	return pw, nil
}
