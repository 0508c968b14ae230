package accounts_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

func TestEmailKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ann@x.com", "ann@x.com"},
		{"  Ann@X.Com\t", "ann@x.com"},
		{"ÉLODIE@Exemple.FR", "élodie@exemple.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := accounts.EmailKey(tt.in); got != tt.want {
				t.Fatalf("EmailKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewUser(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	t.Run("valid", func(t *testing.T) {
		u, err := accounts.NewUser(" Ann@X.com ", " Ann ", "de", now)
		if err != nil {
			t.Fatalf("NewUser: %v", err)
		}
		want := accounts.User{Email: "Ann@X.com", EmailKey: "ann@x.com", Name: "Ann", Language: "de",
			IsActive: true, DateJoined: now.UTC()}
		if u != want || u.DateJoined.Location() != time.UTC {
			t.Fatalf("NewUser = %+v, want %+v", u, want)
		}
	})
	tests := []struct {
		name, email, userName, lang string
		want                        []string
	}{
		{"all empty", "", "", "", []string{"email:required", "name:required", "language:oneof"}},
		{"blank", "  ", " \t", "en", []string{"email:required", "name:required"}},
		{"no at", "ann.x.com", "A", "en", []string{"email:email"}},
		{"no domain dot", "ann@x", "A", "en", []string{"email:email"}},
		{"display name form", "Ann <ann@x.com>", "A", "en", []string{"email:email"}},
		{"space inside", "an n@x.com", "A", "en", []string{"email:email"}},
		{"empty label", "ann@x..com", "A", "en", []string{"email:email"}},
		{"too long email", strings.Repeat("a", 245) + "@x.com.com", "A", "en", []string{"email:max"}},
		{"too long name", "a@x.com", strings.Repeat("ñ", 151), "en", []string{"name:max"}},
		{"unsupported language", "a@x.com", "A", "pt", []string{"language:oneof"}},
		{"language is case-sensitive", "a@x.com", "A", "EN", []string{"language:oneof"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := accounts.NewUser(tt.email, tt.userName, tt.lang, now)
			de, ok := domain.As(err)
			if !ok || de.Kind != domain.KindInvalid {
				t.Fatalf("NewUser = %v, want Invalid", err)
			}
			var got []string
			for _, f := range de.Fields {
				got = append(got, f.Field+":"+f.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("fields = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("name of exactly the limit in characters", func(t *testing.T) {
		if _, err := accounts.NewUser("a@x.com", strings.Repeat("ñ", accounts.MaxNameLength), "en", now); err != nil {
			t.Fatalf("NewUser: %v", err)
		}
	})
	t.Run("localhost domain", func(t *testing.T) {
		if _, err := accounts.NewUser("root@localhost", "Root", "en", now); err != nil {
			t.Fatalf("NewUser: %v", err)
		}
	})
}

func TestUserChanges(t *testing.T) {
	t.Parallel()
	u, err := accounts.NewUser("a@x.com", "A", "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Rename(" B "); err != nil || u.Name != "B" {
		t.Fatalf("Rename = %v, name %q", err, u.Name)
	}
	if err := u.Rename(""); !domain.IsKind(err, domain.KindInvalid) || u.Name != "B" {
		t.Fatalf("Rename(\"\") = %v, name %q", err, u.Name)
	}
	if err := u.SetLanguage("fr"); err != nil || u.Language != "fr" {
		t.Fatalf("SetLanguage = %v, language %q", err, u.Language)
	}
	if err := u.SetLanguage("klingon"); !domain.IsKind(err, domain.KindInvalid) || u.Language != "fr" {
		t.Fatalf("SetLanguage(klingon) = %v, language %q", err, u.Language)
	}
}

func TestSession(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := accounts.NewSession("tok", 7, now, time.Hour)
	if want := "1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62"; s.TokenHash != want {
		t.Fatalf("TokenHash = %q, want hex SHA-256 of the token %q", s.TokenHash, want)
	}
	if s.UserID != 7 || !s.CreatedAt.Equal(now) || !s.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("NewSession = %+v", s)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{now, false},
		{now.Add(time.Hour - time.Nanosecond), false},
		{now.Add(time.Hour), true},
		{now.Add(2 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.RFC3339Nano), func(t *testing.T) {
			if got := s.Expired(tt.at); got != tt.want {
				t.Fatalf("Expired(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}
