package httpapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/onitapp/onit/domain/accounts"
)

// A remembered encoding is used only for a user who would encode to the
// same bytes; any shown field that changes gives new bytes and a new tag.
func TestUserBodiesFollowEveryShownField(t *testing.T) {
	joined := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	login := joined.Add(time.Hour)
	later := login.Add(time.Second)
	base := accounts.User{ID: 7, Email: "ann@example.com", Name: "Ann", Language: "en", DateJoined: joined, LastLogin: &login}
	tests := []struct {
		name   string
		change func(u *accounts.User)
		same   bool
	}{
		{"nothing", func(*accounts.User) {}, true},
		{"a fresh pointer to the same last login", func(u *accounts.User) { l := login; u.LastLogin = &l }, true},
		{"a hidden field", func(u *accounts.User) { u.PasswordHash = "pbkdf2_sha256$1$x$y" }, true},
		{"sub-second join time", func(u *accounts.User) { u.DateJoined = joined.Add(time.Millisecond) }, true},
		{"email", func(u *accounts.User) { u.Email = "ann@example.org" }, false},
		{"name", func(u *accounts.User) { u.Name = "Anne" }, false},
		{"language", func(u *accounts.User) { u.Language = "fr" }, false},
		{"staff", func(u *accounts.User) { u.IsStaff = true }, false},
		{"join time", func(u *accounts.User) { u.DateJoined = joined.Add(time.Second) }, false},
		{"last login", func(u *accounts.User) { u.LastLogin = &later }, false},
		{"no last login", func(u *accounts.User) { u.LastLogin = nil }, false},
		{"another user in the same slot", func(u *accounts.User) { u.ID += userBodySlots }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b userBodies
			first, firstTag := b.get(base)
			keep := bytes.Clone(first)
			u := base
			tt.change(&u)
			got, tag := b.get(u)
			want, wantTag := userBody(u)
			if !bytes.Equal(got, append(want, '\n')) || tag != wantTag {
				t.Errorf("got %s %s, want %s\n %s", got, tag, want, wantTag)
			}
			if (tag == firstTag) != tt.same {
				t.Errorf("same tag = %v, want %v", tag == firstTag, tt.same)
			}
			if !bytes.Equal(first, keep) {
				t.Errorf("the first answer's bytes changed under it: %s", first)
			}
		})
	}
}
