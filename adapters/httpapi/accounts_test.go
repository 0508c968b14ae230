package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/bootstrap/onittest"
)

const goodPassword = "correct horse battery staple"

var emailSeq atomic.Int64

// uniqueEmail gives each test its own account on a shared app.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s.%d.%d@example.com", prefix, time.Now().UnixNano(), emailSeq.Add(1))
}

type userJSON struct {
	ID         int64   `json:"id"`
	Email      string  `json:"email"`
	Name       string  `json:"name"`
	Language   string  `json:"language"`
	IsStaff    bool    `json:"is_staff"`
	DateJoined string  `json:"date_joined"`
	LastLogin  *string `json:"last_login"`
}

type loginJSON struct {
	Token     string   `json:"token"`
	ExpiresAt string   `json:"expires_at"`
	User      userJSON `json:"user"`
}

func register(t *testing.T, app *onittest.App, email string) userJSON {
	t.Helper()
	r := app.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": goodPassword, "name": "Ada Lovelace"})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var u userJSON
	r.JSON(t, &u)
	return u
}

func login(t *testing.T, app *onittest.App, email, password string) (loginJSON, *http.Cookie) {
	t.Helper()
	r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var out loginJSON
	r.JSON(t, &out)
	return out, sessionCookie(t, app, r)
}

func sessionCookie(t *testing.T, app *onittest.App, r *onittest.Response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == app.Settings.Sessions.CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", app.Settings.Sessions.CookieName, r.Header.Values("Set-Cookie"))
	return nil
}

func cookieHeader(c *http.Cookie) []string { return []string{"Cookie", c.Name + "=" + c.Value} }

func hdr(pairs ...[]string) []string { return slices.Concat(pairs...) }

func TestRegister(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)

	t.Run("creates the user", func(t *testing.T) {
		email := uniqueEmail("Ada")
		r := app.Do(t, "POST", "/api/v1/auth/register",
			map[string]any{"email": "  " + email + " ", "password": goodPassword, "name": "Ada"},
			"Accept-Language", "es-ES,es;q=0.9")
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var u userJSON
		r.JSON(t, &u)
		if u.ID <= 0 || u.Email != email || u.Name != "Ada" || u.Language != "es" || u.IsStaff || u.LastLogin != nil {
			t.Fatalf("user = %+v", u)
		}
		if _, err := time.Parse(time.RFC3339, u.DateJoined); err != nil || !strings.HasSuffix(u.DateJoined, "Z") {
			t.Fatalf("date_joined = %q, want RFC 3339 UTC", u.DateJoined)
		}
		var raw map[string]any
		r.JSON(t, &raw)
		if v, ok := raw["last_login"]; !ok || v != nil {
			t.Fatalf("last_login = %v (present %v), want null", v, ok)
		}
	})

	t.Run("explicit language wins over Accept-Language", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/register",
			map[string]any{"email": uniqueEmail("de"), "password": goodPassword, "name": "De", "language": "de"},
			"Accept-Language", "fr")
		var u userJSON
		r.JSON(t, &u)
		if r.Status != http.StatusCreated || u.Language != "de" || r.Header.Get("Content-Language") != "de" {
			t.Fatalf("status %d language %q Content-Language %q", r.Status, u.Language, r.Header.Get("Content-Language"))
		}
	})

	t.Run("same email in another case is a conflict", func(t *testing.T) {
		email := uniqueEmail("ann")
		register(t, app, email)
		r := app.Do(t, "POST", "/api/v1/auth/register",
			map[string]any{"email": strings.ToUpper(email), "password": goodPassword, "name": "Ann"})
		if r.Status != http.StatusConflict {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if p := r.Problem(t); p.Type != "urn:onit:problem:conflict" || p.Detail == "" || strings.Contains(p.Detail, "accounts.") {
			t.Fatalf("problem = %+v", p)
		}
	})

	t.Run("concurrent registrations give one user", func(t *testing.T) {
		// The embedded engine does not serialise concurrent inserts on a
		// unique index; InnoDB does, and that is what production runs.
		mysqltest.RequireInnoDB(t, app.DB)
		email := uniqueEmail("race")
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Go(func() {
				e := email
				if i%2 == 1 {
					e = strings.ToUpper(email)
				}
				statuses[i] = app.Do(t, "POST", "/api/v1/auth/register",
					map[string]any{"email": e, "password": goodPassword, "name": "R"}).Status
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{201, 409, 409, 409}) {
			t.Fatalf("statuses = %v, want one 201 and 409s", statuses)
		}
	})

	weak := []struct {
		password string
		want     []string
	}{
		{"adaexample", []string{"password:password_too_similar"}},
		{"lovelace1", []string{"password:password_too_similar"}},
		{"12345678", []string{"password:password_too_common", "password:password_entirely_numeric"}},
		{"abc", []string{"password:password_too_short", "password:password_too_common"}},
		{"ñandú12", []string{"password:password_too_short"}},
		{"²³⁴⁵⁶⁷⁸⁹", []string{"password:password_entirely_numeric"}},
		{"  PassWord  ", []string{"password:password_too_common"}},
	}
	for _, tt := range weak {
		t.Run("weak password "+tt.password, func(t *testing.T) {
			email := "ada@example.com"
			r := app.Do(t, "POST", "/api/v1/auth/register",
				map[string]any{"email": email, "password": tt.password, "name": "Ada Lovelace"},
				"Accept-Language", "fr")
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			p := r.Problem(t)
			if got := p.Codes(); !slices.Equal(got, tt.want) {
				t.Fatalf("codes = %v, want %v", got, tt.want)
			}
			for _, e := range p.Errors {
				if e.Message == "" || strings.HasPrefix(e.Message, "password.") || !strings.Contains(e.Message, "mot de passe") {
					t.Errorf("message %q is not a French translation", e.Message)
				}
			}
		})
	}

	t.Run("every broken rule at once", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/register",
			map[string]any{"email": "nope", "password": "x7Qz", "name": "", "language": "xx"})
		want := []string{"email:email", "name:required", "language:oneof", "password:password_too_short"}
		if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, want) {
			t.Fatalf("status %d codes %v, want 422 %v", r.Status, got, want)
		}
	})

	bad := []struct{ name, body, code string }{
		{"unknown field", `{"email":"a@b.co","password":"x","name":"A","is_staff":true}`, "unknown_field"},
		{"malformed", `{"email":`, ""},
		{"wrong type", `{"email":1,"password":"x","name":"A"}`, "wrong_type"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := app.Do(t, "POST", "/api/v1/auth/register", tt.body)
			p := r.Problem(t)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if tt.code != "" && (len(p.Errors) != 1 || p.Errors[0].Code != tt.code) {
				t.Fatalf("errors = %v, want one %s", p.Codes(), tt.code)
			}
		})
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	email := uniqueEmail("me")
	register(t, app, email)
	out, _ := login(t, app, email, goodPassword)
	bearer := onittest.Bearer(out.Token)

	first := app.Do(t, "GET", "/api/v1/me", nil, bearer...)
	tag := first.Header.Get("ETag")
	if first.Status != 200 || tag == "" {
		t.Fatalf("GET /me = %d ETag %q", first.Status, tag)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, hdr(bearer, []string{"If-None-Match", tag})...); r.Status != http.StatusNotModified {
		t.Fatalf("conditional GET = %d", r.Status)
	}

	r := app.Do(t, "PATCH", "/api/v1/me", map[string]any{"language": "fr", "name": " Ada King "}, hdr(bearer, []string{"If-Match", tag})...)
	var u userJSON
	r.JSON(t, &u)
	if r.Status != 200 || u.Name != "Ada King" || u.Language != "fr" || r.Header.Get("Content-Language") != "fr" {
		t.Fatalf("PATCH /me = %d %s (Content-Language %q)", r.Status, r.Body, r.Header.Get("Content-Language"))
	}
	newTag := r.Header.Get("ETag")
	if newTag == "" || newTag == tag {
		t.Fatalf("ETag after change = %q (before %q)", newTag, tag)
	}

	if r := app.Do(t, "PATCH", "/api/v1/me", map[string]any{"name": "Stale"}, hdr(bearer, []string{"If-Match", tag})...); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match = %d %s", r.Status, r.Body)
	}

	// The saved language now wins over Accept-Language, for problems too.
	r = app.Do(t, "PATCH", "/api/v1/me", map[string]any{"name": "", "language": "pt"}, hdr(bearer, []string{"Accept-Language", "de"})...)
	p := r.Problem(t)
	if r.Status != 422 || r.Header.Get("Content-Language") != "fr" || !slices.Equal(p.Codes(), []string{"name:required", "language:oneof"}) {
		t.Fatalf("invalid PATCH = %d %s (Content-Language %q)", r.Status, r.Body, r.Header.Get("Content-Language"))
	}
	if r := app.Do(t, "PATCH", "/api/v1/me", `{"nickname":"x"}`, bearer...); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown field = %d", r.Status)
	}
	if r := app.Do(t, "PATCH", "/api/v1/me", map[string]any{"name": "X"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous PATCH = %d", r.Status)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	const newPassword = "a much better passphrase"

	t.Run("revokes every other session", func(t *testing.T) {
		email := uniqueEmail("change")
		register(t, app, email)
		here, _ := login(t, app, email, goodPassword)
		there, ck := login(t, app, email, goodPassword)
		r := app.Do(t, "POST", "/api/v1/me/password",
			map[string]any{"current_password": goodPassword, "new_password": newPassword}, onittest.Bearer(here.Token)...)
		if r.Status != http.StatusNoContent {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(here.Token)...); r.Status != 200 {
			t.Errorf("the current session died: %d", r.Status)
		}
		for name, h := range map[string][]string{"bearer": onittest.Bearer(there.Token), "cookie": cookieHeader(ck)} {
			if r := app.Do(t, "GET", "/api/v1/me", nil, h...); r.Status != http.StatusUnauthorized {
				t.Errorf("other session by %s: GET /me = %d", name, r.Status)
			}
		}
		if r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": goodPassword}); r.Status != 401 {
			t.Errorf("old password: login = %d", r.Status)
		}
		login(t, app, email, newPassword)
	})

	tests := []struct {
		name    string
		current string
		next    string
		want    []string
	}{
		{"wrong current password", "wrong wrong wrong", newPassword, []string{"current_password:password_incorrect"}},
		{"weak new password", goodPassword, "12345678", []string{"new_password:password_too_common", "new_password:password_entirely_numeric"}},
		{"new password like the name", goodPassword, "lovelace1", []string{"new_password:password_too_similar"}},
		{"both empty", "", "", []string{"current_password:required", "new_password:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := uniqueEmail("weak")
			register(t, app, email)
			here, _ := login(t, app, email, goodPassword)
			other, _ := login(t, app, email, goodPassword)
			r := app.Do(t, "POST", "/api/v1/me/password",
				map[string]any{"current_password": tt.current, "new_password": tt.next}, onittest.Bearer(here.Token)...)
			if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, tt.want) {
				t.Fatalf("status %d codes %v, want 422 %v", r.Status, got, tt.want)
			}
			if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(other.Token)...); r.Status != 200 {
				t.Fatalf("a refused change revoked a session: %d", r.Status)
			}
		})
	}
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			r := app.Do(t, "GET", "/api/v1/auth/password-rules", nil, "Accept-Language", lang)
			var out struct {
				Rules []struct {
					Code     string `json:"code"`
					HelpText string `json:"help_text"`
				} `json:"rules"`
			}
			r.JSON(t, &out)
			var codes []string
			for _, rule := range out.Rules {
				codes = append(codes, rule.Code)
				if rule.HelpText == "" || strings.HasPrefix(rule.HelpText, "password.") {
					t.Errorf("rule %s: help text %q", rule.Code, rule.HelpText)
				}
			}
			want := []string{"password_too_similar", "password_too_short", "password_too_common", "password_entirely_numeric"}
			if r.Status != 200 || !slices.Equal(codes, want) || r.Header.Get("Content-Language") != lang {
				t.Fatalf("status %d codes %v Content-Language %q", r.Status, codes, r.Header.Get("Content-Language"))
			}
			if lang == "fr" && !strings.Contains(out.Rules[1].HelpText, "8") {
				t.Errorf("min length help %q lacks the minimum", out.Rules[1].HelpText)
			}
		})
	}
}
