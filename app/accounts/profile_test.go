package accounts_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const newPassword = "a much better passphrase"

	t.Run("revokes every other session at once", func(t *testing.T) {
		f := newFixture(t)
		here := f.loginNew(t)
		there, elsewhere := f.login(t, "ada@x.com"), f.login(t, "ada@x.com")
		f.register(t, "bob@x.com")
		bobs := f.login(t, "bob@x.com")
		err := f.svc.ChangePassword(ctx, appaccounts.ChangePasswordInput{
			UserID: here.User.ID, KeepSessionHash: here.Session.TokenHash,
			CurrentPassword: goodPassword, NewPassword: newPassword})
		if err != nil {
			t.Fatalf("ChangePassword: %v", err)
		}
		for _, l := range []appaccounts.Login{there, elsewhere} {
			if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
				t.Errorf("revoked session: Authenticate = %v", err)
			}
		}
		for _, l := range []appaccounts.Login{here, bobs} {
			if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
				t.Errorf("surviving session: Authenticate = %v", err)
			}
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword}); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Errorf("old password: Login = %v", err)
		}
		if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: newPassword}); err != nil {
			t.Errorf("new password: Login = %v", err)
		}
	})

	tests := []struct {
		name, current, next string
		want                []string
	}{
		{"wrong current password", "not it at all", newPassword, []string{"current_password:password_incorrect"}},
		{"missing both", "", "", []string{"current_password:required", "new_password:required"}},
		{"weak new password", goodPassword, "12345678", []string{"new_password:password_too_common", "new_password:password_entirely_numeric"}},
		{"new password like the name", goodPassword, "lovelace1", []string{"new_password:password_too_similar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			here := f.loginNew(t)
			other := f.login(t, "ada@x.com")
			err := f.svc.ChangePassword(ctx, appaccounts.ChangePasswordInput{UserID: here.User.ID,
				KeepSessionHash: here.Session.TokenHash, CurrentPassword: tt.current, NewPassword: tt.next})
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields = %v, want %v", got, tt.want)
			}
			if _, _, err := f.svc.Authenticate(ctx, other.Token); err != nil {
				t.Fatalf("a failed change revoked a session: %v", err)
			}
		})
	}
}

func TestUpdateMe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name       string
		in         appaccounts.UpdateMe
		wantName   string
		wantLang   string
		wantFields []string
	}{
		{"nothing", appaccounts.UpdateMe{}, "Ada Lovelace", "en", nil},
		{"name", appaccounts.UpdateMe{Name: ptr("  Ada King ")}, "Ada King", "en", nil},
		{"language", appaccounts.UpdateMe{Language: ptr("es")}, "Ada Lovelace", "es", nil},
		{"both invalid", appaccounts.UpdateMe{Name: ptr(" "), Language: ptr("pt")}, "Ada Lovelace", "en",
			[]string{"name:required", "language:oneof"}},
		{"name too long", appaccounts.UpdateMe{Name: ptr(strings.Repeat("é", 151)), Language: ptr("de")}, "Ada Lovelace", "en",
			[]string{"name:max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.register(t, "ada@x.com")
			got, err := f.svc.UpdateMe(ctx, u.ID, tt.in)
			if tt.wantFields != nil {
				if fc := fieldCodes(t, err); !slices.Equal(fc, tt.wantFields) {
					t.Fatalf("fields = %v, want %v", fc, tt.wantFields)
				}
				got, _ = f.users.ByID(ctx, u.ID)
			} else if err != nil {
				t.Fatalf("UpdateMe: %v", err)
			}
			if got.Name != tt.wantName || got.Language != tt.wantLang {
				t.Fatalf("user = %q/%q, want %q/%q", got.Name, got.Language, tt.wantName, tt.wantLang)
			}
		})
	}
	t.Run("precondition is checked against the stored user", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada@x.com")
		var seen string
		_, err := f.svc.UpdateMe(ctx, u.ID, appaccounts.UpdateMe{Name: ptr("Other"),
			Precondition: func(cur accounts.User) bool { seen = cur.Name; return false }})
		if !domain.IsKind(err, domain.KindPreconditionFailed) || seen != "Ada Lovelace" {
			t.Fatalf("UpdateMe = %v (saw %q), want PreconditionFailed after seeing the stored name", err, seen)
		}
		if got, _ := f.users.ByID(ctx, u.ID); got.Name != "Ada Lovelace" {
			t.Fatalf("name = %q after a failed precondition", got.Name)
		}
	})
	t.Run("vanished user", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.UpdateMe(ctx, 42, appaccounts.UpdateMe{})
		if !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("UpdateMe = %v, want NotFound", err)
		}
	})
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var codes []string
	for _, r := range f.svc.PasswordRules() {
		codes = append(codes, r.Code)
	}
	want := []string{"password_too_similar", "password_too_short", "password_too_common", "password_entirely_numeric"}
	if !slices.Equal(codes, want) {
		t.Fatalf("rules = %v, want %v", codes, want)
	}
}
