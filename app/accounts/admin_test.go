package accounts_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestCreateSuperuser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, email, userName, password string
		skip                            bool
		wantFields                      []string // nil: created
	}{
		{name: "valid", email: " Root@X.com ", userName: "Root", password: goodPassword},
		{name: "weak password refused", email: "root@x.com", userName: "Root", password: "12345678",
			wantFields: []string{"password:password_too_common", "password:password_entirely_numeric"}},
		{name: "weak password allowed when skipping validation", email: "root@x.com", userName: "Root", password: "12345678", skip: true},
		{name: "empty password refused even when skipping", email: "root@x.com", userName: "Root", skip: true,
			wantFields: []string{"password:required"}},
		{name: "profile rules always apply", email: "not-an-email", userName: "", password: "x", skip: true,
			wantFields: []string{"email:email", "name:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			u, err := f.svc.CreateSuperuser(ctx, tt.email, tt.userName, tt.password, tt.skip)
			if tt.wantFields != nil {
				if got := fieldCodes(t, err); !slices.Equal(got, tt.wantFields) {
					t.Fatalf("fields = %v, want %v", got, tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateSuperuser: %v", err)
			}
			if !u.IsStaff || !u.IsSuperuser || !u.IsActive || u.ID == 0 {
				t.Errorf("user = %+v, want an active staff superuser with an ID", u)
			}
			stored, err := f.users.ByID(ctx, u.ID)
			if err != nil || !stored.IsSuperuser || !stored.IsStaff {
				t.Fatalf("stored user = %+v, %v", stored, err)
			}
			if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: tt.email, Password: tt.password}); err != nil {
				t.Errorf("cannot log in as the new superuser: %v", err)
			}
		})
	}

	t.Run("email taken in another letter case", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.register(t, "ada@x.com")
		_, err := f.svc.CreateSuperuser(ctx, "ADA@x.com", "Ada", goodPassword, false)
		if !errors.Is(err, accounts.ErrEmailTaken) {
			t.Fatalf("err = %v, want ErrEmailTaken", err)
		}
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const newPassword = "a much better passphrase"

	t.Run("replaces the password and revokes every session", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		one := f.loginNew(t)
		two := f.login(t, "ada@x.com")
		f.register(t, "bob@x.com")
		bobs := f.login(t, "bob@x.com")
		n, err := f.svc.SetPassword(ctx, "ADA@x.com", newPassword, false)
		if err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if n != 2 {
			t.Errorf("revoked = %d, want 2", n)
		}
		for _, l := range []appaccounts.Login{one, two} {
			if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
				t.Errorf("revoked session: Authenticate = %v", err)
			}
		}
		if _, _, err := f.svc.Authenticate(ctx, bobs.Token); err != nil {
			t.Errorf("another user's session was revoked: %v", err)
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: newPassword}); err != nil {
			t.Errorf("new password: Login = %v", err)
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword}); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Errorf("old password: Login = %v", err)
		}
	})

	tests := []struct {
		name, password string
		skip           bool
		wantFields     []string
	}{
		{name: "validators apply", password: "lovelace1", wantFields: []string{"password:password_too_similar"}},
		{name: "empty refused", password: "", skip: true, wantFields: []string{"password:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			l := f.loginNew(t)
			_, err := f.svc.SetPassword(ctx, "ada@x.com", tt.password, tt.skip)
			if got := fieldCodes(t, err); !slices.Equal(got, tt.wantFields) {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
			if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
				t.Errorf("a refused change revoked a session: %v", err)
			}
		})
	}

	t.Run("skipping validation accepts a weak password", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.register(t, "ada@x.com")
		if _, err := f.svc.SetPassword(ctx, "ada@x.com", "lovelace1", true); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: "lovelace1"}); err != nil {
			t.Errorf("Login = %v", err)
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, err := f.svc.SetPassword(ctx, "nobody@x.com", newPassword, false)
		if !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("err = %v, want NotFound", err)
		}
	})
}
