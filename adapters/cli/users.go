package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// maxTries is how often an interactive command asks again after a
// mismatch or a refused password, as Django's changepassword does.
const maxTries = 3

// createSuperuserCommand is Django's createsuperuser: interactive prompts
// by default; --noinput with --email, --name and a password from
// --password-stdin or --password-file for scripts (never a flag value,
// which would land in shell history and the process list).
func createSuperuserCommand() *command {
	var email, name, pwFile string
	var noInput, pwStdin, skip bool
	return &command{
		name:     "createsuperuser",
		synopsis: "[--email EMAIL] [--name NAME] [--noinput] [--password-stdin | --password-file PATH] [--skip-validation]",
		summary:  "create a staff superuser, interactively or from a script",
		flags: func(fs *flagSet) {
			fs.StringVar(&email, "email", "", "the superuser's email (prompted for when missing, unless --noinput)")
			fs.StringVar(&name, "name", "", "the superuser's name (prompted for when missing, unless --noinput)")
			fs.BoolVar(&noInput, "noinput", false, "never prompt; --email, --name and a password source are required")
			fs.BoolVar(&noInput, "no-input", false, "same as --noinput")
			fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
			fs.StringVar(&pwFile, "password-file", "", "read the password from this file (e.g. a mounted secret)")
			fs.BoolVar(&skip, "skip-validation", false, "accept a password the validators refuse")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if pwStdin && pwFile != "" {
				return inv.usageError("give --password-stdin or --password-file, not both")
			}
			if noInput && (email == "" || name == "" || (!pwStdin && pwFile == "")) {
				return inv.usageError("--noinput needs --email, --name and --password-stdin or --password-file")
			}
			p := newPrompter(inv.stdio)
			// A password given up front is read before anything starts, so a
			// missing file is a usage error, not a half-started app.
			given, err := givenPassword(p, pwStdin, pwFile)
			if err != nil {
				return Usage(err)
			}
			svc, cat, release, err := inv.backend().Accounts(ctx)
			if err != nil {
				return err
			}
			defer release()
			return createSuperuser(ctx, inv.stdio, p, svc, cat, superuserInput{
				email: email, name: name, given: given, noInput: noInput, skip: skip})
		},
	}
}

type superuserInput struct {
	email, name, given string
	noInput, skip      bool
}

func createSuperuser(ctx context.Context, stdio Stdio, p *prompter, svc Accounts, cat Translator, in superuserInput) error {
	e, n, pw, skipNow := in.email, in.name, in.given, in.skip
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
		if !ok || in.noInput || (de.Kind != domain.KindInvalid && de.Kind != domain.KindConflict) {
			return describe(cat, err)
		}
		// Ask again for what was prompted for and is at fault; a value
		// given up front cannot be fixed by prompting.
		bad := faultyFields(de)
		if (bad["email"] && in.email != "") || (bad["name"] && in.name != "") || (bad["password"] && in.given != "") {
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
}

// changePasswordCommand is Django's changepassword for the user with that
// email: prompts twice (three attempts), or reads --password-stdin /
// --password-file. Every session of the user is revoked at once.
func changePasswordCommand() *command {
	var pwFile string
	var pwStdin, skip bool
	return &command{
		name:     "changepassword",
		synopsis: "EMAIL [--password-stdin | --password-file PATH] [--skip-validation]",
		summary:  "set a user's password and revoke all their sessions",
		args:     1,
		flags: func(fs *flagSet) {
			fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
			fs.StringVar(&pwFile, "password-file", "", "read the password from this file")
			fs.BoolVar(&skip, "skip-validation", false, "accept a password the validators refuse")
		},
		run: func(ctx context.Context, inv *invocation) error {
			email := inv.args[0]
			if pwStdin && pwFile != "" {
				return inv.usageError("give --password-stdin or --password-file, not both")
			}
			p := newPrompter(inv.stdio)
			given, err := givenPassword(p, pwStdin, pwFile)
			if err != nil {
				return Usage(err)
			}
			svc, cat, release, err := inv.backend().Accounts(ctx)
			if err != nil {
				return err
			}
			defer release()
			return changePassword(ctx, inv.stdio, p, svc, cat, email, given, skip)
		},
	}
}

func changePassword(ctx context.Context, stdio Stdio, p *prompter, svc Accounts, cat Translator, email, given string, skip bool) error {
	// An empty password is refused only after the user is looked up (see
	// SetPassword), so this asks whether the user exists before the
	// operator types anything, and changes nothing.
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
		revoked, err := svc.SetPassword(ctx, email, pw, skip)
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
}

// describe turns a domain error into one line for the operator, with the
// field messages in the default language.
func describe(cat Translator, err error) error {
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
