package accounts_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("creates an active user with a hashed password", func(t *testing.T) {
		f := newFixture(t)
		u, err := f.svc.Register(ctx, appaccounts.RegisterInput{
			Email: "  Ada@Example.COM ", Password: goodPassword, Name: " Ada Lovelace ", Language: "fr"})
		if err != nil {
			t.Fatalf("Register: %v", err)
		}
		want := accounts.User{ID: u.ID, Email: "Ada@Example.COM", EmailKey: "ada@example.com", Name: "Ada Lovelace",
			PasswordHash: "fake$2$" + goodPassword, Language: "fr", IsActive: true, DateJoined: start}
		if u.ID == 0 || u.LastLogin != nil || u != want {
			t.Fatalf("Register = %+v, want %+v", u, want)
		}
		stored, err := f.users.ByEmailKey(ctx, "ada@example.com")
		if err != nil || stored.ID != u.ID {
			t.Fatalf("stored user = %+v, %v", stored, err)
		}
	})

	t.Run("same email in another case is taken", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ann@x.com")
		_, err := f.svc.Register(ctx, appaccounts.RegisterInput{Email: "ANN@X.com", Password: goodPassword, Name: "Ann", Language: "en"})
		if !errors.Is(err, accounts.ErrEmailTaken) || domain.KindOf(err) != domain.KindConflict {
			t.Fatalf("Register = %v, want ErrEmailTaken", err)
		}
	})

	t.Run("concurrent sign-ups for one address give one user", func(t *testing.T) {
		f := newFixture(t)
		var wg sync.WaitGroup
		var ok, taken atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				email := "race@x.com"
				if i%2 == 1 {
					email = "RACE@x.com"
				}
				_, err := f.svc.Register(ctx, appaccounts.RegisterInput{Email: email, Password: goodPassword, Name: "R", Language: "en"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, accounts.ErrEmailTaken):
					taken.Add(1)
				default:
					t.Errorf("Register: %v", err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || taken.Load() != 7 {
			t.Fatalf("%d created, %d taken; want 1 and 7", ok.Load(), taken.Load())
		}
	})

	tests := []struct {
		name string
		in   appaccounts.RegisterInput
		want []string // field:code
	}{
		{"every broken rule at once",
			appaccounts.RegisterInput{Email: "not-an-email", Password: "abc", Name: "", Language: "xx"},
			[]string{"email:email", "name:required", "language:oneof", "password:password_too_short", "password:password_too_common"}},
		{"empty password is only required",
			appaccounts.RegisterInput{Email: "a@x.com", Password: "", Name: "A", Language: "en"},
			[]string{"password:required"}},
		{"password similar to the email",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "adaexample", Name: "Ada Lovelace", Language: "en"},
			[]string{"password:password_too_similar"}},
		{"password similar to the name",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "lovelace1", Name: "Ada Lovelace", Language: "en"},
			[]string{"password:password_too_similar"}},
		{"numeric and common password",
			appaccounts.RegisterInput{Email: "ada@example.com", Password: "12345678", Name: "Ada", Language: "en"},
			[]string{"password:password_too_common", "password:password_entirely_numeric"}},
		{"email too long",
			appaccounts.RegisterInput{Email: strings.Repeat("a", 250) + "@x.com", Password: goodPassword, Name: "A", Language: "en"},
			[]string{"email:max"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Register(ctx, tt.in)
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields = %v, want %v", got, tt.want)
			}
			if _, err := f.users.ByEmailKey(ctx, accounts.EmailKey(tt.in.Email)); !domain.IsKind(err, domain.KindNotFound) {
				t.Fatalf("an invalid registration stored a user: %v", err)
			}
		})
	}
}
