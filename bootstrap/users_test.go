package bootstrap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/djangohash"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/domain/accounts"
)

const strongPassword = "correct horse battery staple"

func storedUser(t *testing.T, db *bun.DB, email string) accounts.User {
	t.Helper()
	u, err := mysql.NewUserRepository(db).ByEmailKey(context.Background(), accounts.EmailKey(email))
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func passwordIs(t *testing.T, u accounts.User, pw string) bool {
	t.Helper()
	ok, _ := djangohash.New(1000).Verify(pw, u.PasswordHash)
	return ok
}

func TestCreateSuperuser(t *testing.T) {
	environ, db := opsEnv(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(strongPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		wantOut string
		wantErr string
		email   string // created superuser to verify
	}{
		{name: "noinput with password on stdin", stdin: strongPassword + "\n",
			args: []string{"--noinput", "--email", "root@example.com", "--name", "Root", "--password-stdin"},
			code: cli.ExitOK, wantOut: "Superuser created successfully.", email: "root@example.com"},
		{name: "noinput with a password file", args: []string{"--no-input", "--email", "file@example.com", "--name", "File", "--password-file", pwFile},
			code: cli.ExitOK, email: "file@example.com"},
		{name: "email taken", stdin: strongPassword + "\n",
			args: []string{"--noinput", "--email", "ROOT@example.com", "--name", "Root", "--password-stdin"},
			code: cli.ExitFailure, wantErr: "email"},
		{name: "validators apply", stdin: "12345678\n",
			args: []string{"--noinput", "--email", "weak@example.com", "--name", "Weak", "--password-stdin"},
			code: cli.ExitFailure, wantErr: "too common"},
		{name: "skip validation", stdin: "12345678\n",
			args: []string{"--noinput", "--email", "weak@example.com", "--name", "Weak", "--password-stdin", "--skip-validation"},
			code: cli.ExitOK, email: "weak@example.com"},
		{name: "noinput without a password source", args: []string{"--noinput", "--email", "x@example.com", "--name", "X"},
			code: cli.ExitUsage, wantErr: "--noinput needs"},
		{name: "two password sources", args: []string{"--password-stdin", "--password-file", pwFile},
			code: cli.ExitUsage, wantErr: "not both"},
		{name: "missing password file", args: []string{"--noinput", "--email", "x@example.com", "--name", "X", "--password-file", pwFile + ".nope"},
			code: cli.ExitUsage, wantErr: "--password-file"},
		{name: "interactive", stdin: "ada@example.com\nAda Lovelace\n" + strongPassword + "\n" + strongPassword + "\n",
			code: cli.ExitOK, wantErr: "Password (again): ", email: "ada@example.com"},
		{name: "interactive mismatch, then agreement", stdin: "bob@example.com\nBob\none thing\nanother\n" + strongPassword + "\n" + strongPassword + "\n",
			code: cli.ExitOK, wantErr: "Your passwords didn't match", email: "bob@example.com"},
		{name: "interactive weak password bypassed", stdin: "cy@example.com\nCy\n12345678\n12345678\ny\n",
			code: cli.ExitOK, wantErr: "Bypass password validation", email: "cy@example.com"},
		{name: "interactive weak password, refused bypass, then a strong one", stdin: "di@example.com\nDi\n12345678\n12345678\nn\n" + strongPassword + "\n" + strongPassword + "\n",
			code: cli.ExitOK, email: "di@example.com"},
		{name: "interactive input ends", stdin: "eve@example.com\n", code: cli.ExitFailure, wantErr: "input ended"},
		{name: "help", args: []string{"--help"}, code: cli.ExitOK, wantOut: "Usage: onit createsuperuser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLIInput(t, environ, tt.stdin, append([]string{"createsuperuser"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ⊇ %q, stderr ⊇ %q", code, tt.code, out, errOut, tt.wantOut, tt.wantErr)
			}
			if tt.email == "" {
				return
			}
			u := storedUser(t, db, tt.email)
			if !u.IsSuperuser || !u.IsStaff || !u.IsActive {
				t.Errorf("stored user %+v is not an active staff superuser", u)
			}
		})
	}
	if !passwordIs(t, storedUser(t, db, "cy@example.com"), "12345678") {
		t.Error("the bypassed password was not stored")
	}
	if !passwordIs(t, storedUser(t, db, "di@example.com"), strongPassword) {
		t.Error("the second, strong password was not stored")
	}
}

func TestChangePassword(t *testing.T) {
	environ, db := opsEnv(t)
	if code, _, errOut := runCLIInput(t, environ, strongPassword+"\n", "createsuperuser", "--noinput",
		"--email", "root@example.com", "--name", "Root", "--password-stdin"); code != cli.ExitOK {
		t.Fatalf("createsuperuser: %d %s", code, errOut)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		wantErr  string
		password string // the stored password afterwards
	}{
		{name: "stdin, flag after the email", stdin: "a new passphrase here\n", args: []string{"root@example.com", "--password-stdin"},
			code: cli.ExitOK, password: "a new passphrase here"},
		{name: "interactive", stdin: "second passphrase!\nsecond passphrase!\n", args: []string{"ROOT@example.com"},
			code: cli.ExitOK, wantErr: "Changing password for user 'ROOT@example.com'", password: "second passphrase!"},
		{name: "interactive mismatch three times", stdin: "a1b2c3d4e5\nz\na1b2c3d4e5\nz\na1b2c3d4e5\nz\n", args: []string{"root@example.com"},
			code: cli.ExitFailure, wantErr: "after 3 attempts", password: "second passphrase!"},
		{name: "validators apply", stdin: "root\n", args: []string{"--password-stdin", "root@example.com"},
			code: cli.ExitFailure, wantErr: "too short", password: "second passphrase!"},
		{name: "skip validation", stdin: "rootroot\n", args: []string{"--password-stdin", "--skip-validation", "root@example.com"},
			code: cli.ExitOK, password: "rootroot"},
		{name: "unknown user", stdin: "whatever pass 123\n", args: []string{"--password-stdin", "nobody@example.com"},
			code: cli.ExitFailure, wantErr: `user "nobody@example.com" does not exist`, password: "rootroot"},
		{name: "no email", args: nil, code: cli.ExitUsage, wantErr: "Usage: onit changepassword", password: "rootroot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLIInput(t, environ, tt.stdin, append([]string{"changepassword"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stderr ⊇ %q", code, tt.code, out, errOut, tt.wantErr)
			}
			if !passwordIs(t, storedUser(t, db, "root@example.com"), tt.password) {
				t.Errorf("stored password is not %q", tt.password)
			}
		})
	}
}

func TestChangePasswordRevokesSessions(t *testing.T) {
	environ, db := opsEnv(t)
	if code, _, errOut := runCLIInput(t, environ, strongPassword+"\n", "createsuperuser", "--noinput",
		"--email", "root@example.com", "--name", "Root", "--password-stdin"); code != cli.ExitOK {
		t.Fatalf("createsuperuser: %d %s", code, errOut)
	}
	u := storedUser(t, db, "root@example.com")
	ctx := context.Background()
	sessions := mysql.NewSessionRepository(db)
	for _, tok := range []string{"token-one", "token-two"} {
		s := accounts.NewSession(tok, u.ID, time.Now(), 24*time.Hour)
		if err := sessions.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLIInput(t, environ, "a new passphrase here\n", "changepassword", "--password-stdin", "root@example.com")
	if code != cli.ExitOK || !strings.Contains(out, "(2 sessions revoked)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if left, err := sessions.DeleteForUser(ctx, u.ID, ""); err != nil || len(left) != 0 {
		t.Errorf("sessions left after changepassword: %v, %v", left, err)
	}
}

func TestRevokeSessionsCommand(t *testing.T) {
	environ, db := opsEnv(t)
	if code, _, errOut := runCLIInput(t, environ, strongPassword+"\n", "createsuperuser", "--noinput",
		"--email", "gone@example.com", "--name", "Gone", "--password-stdin"); code != cli.ExitOK {
		t.Fatalf("createsuperuser: %d %s", code, errOut)
	}
	u := storedUser(t, db, "gone@example.com")
	ctx := context.Background()
	sessions := mysql.NewSessionRepository(db)
	for _, tok := range []string{"token-one", "token-two"} {
		if err := sessions.Create(ctx, accounts.NewSession(tok, u.ID, time.Now(), 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLIInput(t, environ, "", "revokesessions", "GONE@example.com", "--deactivate")
	if code != cli.ExitOK || !strings.Contains(out, "2 sessions of 'GONE@example.com' revoked and the user deactivated") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if left, err := sessions.DeleteForUser(ctx, u.ID, ""); err != nil || len(left) != 0 {
		t.Errorf("sessions left after revokesessions: %v, %v", left, err)
	}
	if storedUser(t, db, "gone@example.com").IsActive {
		t.Error("the user is still active")
	}
	if code, _, errOut := runCLIInput(t, environ, "", "revokesessions", "nobody@example.com"); code != cli.ExitFailure || !strings.Contains(errOut, "does not exist") {
		t.Errorf("unknown user: exit %d, stderr %s", code, errOut)
	}
}
