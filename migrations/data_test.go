package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestNormaliseEmailKeys rolls the data migration back, plants keys the way a
// Django import would leave them, and checks that applying it again fixes
// them and that a further run changes nothing.
func TestNormaliseEmailKeys(t *testing.T) {
	db := open(t)
	r := runner(t, db.DB)
	ctx := context.Background()
	if _, err := r.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := r.Down(ctx); err != nil || res.Version != 10 {
		t.Fatalf("down = %+v, %v; want the data migration 10 rolled back", res, err)
	}
	users := []struct{ email, key, want string }{
		{"Ann@Example.com", "Ann@Example.com", "ann@example.com"},
		{" bob@example.com ", "bob@example.com ", "bob@example.com"},
		{"carl@example.com", "carl@example.com", "carl@example.com"},
		{"DÉSIRÉE@example.com", "x", "désirée@example.com"},
	}
	now := time.Now().UTC()
	for _, u := range users {
		if _, err := db.ExecContext(ctx,
			"INSERT INTO users (email, email_key, password, date_joined) VALUES (?, ?, '!', ?)", u.email, u.key, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		var got string
		if err := db.QueryRowContext(ctx, "SELECT email_key FROM users WHERE email = ?", u.email).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != u.want {
			t.Errorf("email %q: key %q, want %q", u.email, got, u.want)
		}
	}
}

func TestNormaliseEmailKeysRefusesDuplicates(t *testing.T) {
	db := open(t)
	r := runner(t, db.DB)
	ctx := context.Background()
	if _, err := r.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Down(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, email := range []string{"Dup@example.com", "dup@example.com"} {
		if _, err := db.ExecContext(ctx,
			"INSERT INTO users (email, email_key, password, date_joined) VALUES (?, ?, '!', ?)", email, "k"+string(rune('0'+i)), now); err != nil {
			t.Fatal(err)
		}
	}
	_, err := r.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "merged first") {
		t.Fatalf("up = %v, want the duplicate users refused", err)
	}
	if strings.Contains(err.Error(), "@") {
		t.Errorf("error %q names an email address", err)
	}
	if n, _ := r.Pending(ctx); n != 1 {
		t.Errorf("pending = %d, want the data migration still pending", n)
	}
}
