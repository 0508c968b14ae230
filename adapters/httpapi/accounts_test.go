package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
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

func TestLoginAndSessions(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)

	t.Run("login answers a token and a cookie that both authenticate", func(t *testing.T) {
		email := uniqueEmail("login")
		u := register(t, app, email)
		r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(email), "password": goodPassword})
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var out loginJSON
		r.JSON(t, &out)
		if len(out.Token) < 43 || out.User.ID != u.ID || out.User.LastLogin == nil {
			t.Fatalf("login = %+v", out)
		}
		exp, err := time.Parse(time.RFC3339, out.ExpiresAt)
		if err != nil || time.Until(exp) < 13*24*time.Hour {
			t.Fatalf("expires_at = %q, want about two weeks ahead", out.ExpiresAt)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		ck := sessionCookie(t, app, r)
		raw := strings.Join(r.Header.Values("Set-Cookie"), "\n")
		if ck.Value != out.Token || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
			ck.MaxAge != int(app.Settings.Sessions.CookieAge.Seconds()) || ck.Secure != app.Settings.Sessions.CookieSecure {
			t.Fatalf("cookie = %s", raw)
		}
		for name, h := range map[string][]string{"bearer": onittest.Bearer(out.Token), "cookie": cookieHeader(ck)} {
			me := app.Do(t, "GET", "/api/v1/me", nil, h...)
			var got userJSON
			me.JSON(t, &got)
			if me.Status != http.StatusOK || got.ID != u.ID || got.LastLogin == nil {
				t.Errorf("%s: GET /me = %d %s", name, me.Status, me.Body)
			}
		}
	})

	t.Run("wrong password and unknown email get the same 401", func(t *testing.T) {
		email := uniqueEmail("same")
		register(t, app, email)
		wrong := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "not the password"})
		unknown := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": uniqueEmail("nobody"), "password": goodPassword})
		if wrong.Status != http.StatusUnauthorized || unknown.Status != http.StatusUnauthorized {
			t.Fatalf("statuses %d and %d, want 401", wrong.Status, unknown.Status)
		}
		if string(wrong.Body) != string(unknown.Body) {
			t.Fatalf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
		}
		if wrong.Header.Get("Set-Cookie") != "" {
			t.Fatal("a failed login set a cookie")
		}
	})

	t.Run("missing fields are 422", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": ""})
		if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, []string{"email:required", "password:required"}) {
			t.Fatalf("status %d codes %v", r.Status, got)
		}
	})

	t.Run("unknown field and malformed JSON are 400", func(t *testing.T) {
		for _, body := range []string{`{"email":"a@b.co","password":"x","remember":true}`, `{"email":"a@b.co",}`} {
			if r := app.Do(t, "POST", "/api/v1/auth/login", body); r.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d", body, r.Status)
			}
		}
	})

	t.Run("logout revokes the session everywhere", func(t *testing.T) {
		email := uniqueEmail("logout")
		register(t, app, email)
		first, ck := login(t, app, email, goodPassword)
		second, _ := login(t, app, email, goodPassword)
		r := app.Do(t, "POST", "/api/v1/auth/logout", nil, cookieHeader(ck)...)
		if r.Status != http.StatusNoContent {
			t.Fatalf("logout = %d %s", r.Status, r.Body)
		}
		if cleared := sessionCookie(t, app, r); cleared.MaxAge >= 0 || cleared.Value != "" {
			t.Errorf("logout did not clear the cookie: %v", r.Header.Values("Set-Cookie"))
		}
		for name, h := range map[string][]string{"bearer": onittest.Bearer(first.Token), "cookie": cookieHeader(ck)} {
			if r := app.Do(t, "GET", "/api/v1/me", nil, h...); r.Status != http.StatusUnauthorized {
				t.Errorf("%s after logout: GET /me = %d", name, r.Status)
			}
		}
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(second.Token)...); r.Status != http.StatusOK {
			t.Errorf("another session: GET /me = %d", r.Status)
		}
	})

	t.Run("a Redis flush logs nobody out", func(t *testing.T) {
		email := uniqueEmail("flush")
		register(t, app, email)
		out, _ := login(t, app, email, goodPassword)
		ctx := context.Background()
		keys, err := app.Redis.Keys(ctx, app.Keys.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			if err := app.Redis.Del(ctx, keys...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(out.Token)...); r.Status != http.StatusOK {
			t.Fatalf("after a flush GET /me = %d %s", r.Status, r.Body)
		}
	})

	unauth := []struct {
		name string
		hdr  []string
	}{
		{"no credentials", nil},
		{"unknown token", onittest.Bearer("no-such-token")},
		{"basic auth", []string{"Authorization", "Basic YTpi"}},
		{"empty bearer", []string{"Authorization", "Bearer "}},
		{"unknown cookie", []string{"Cookie", "sessionid=nope"}},
	}
	for _, tt := range unauth {
		t.Run("401 for "+tt.name, func(t *testing.T) {
			r := app.Do(t, "GET", "/api/v1/me", nil, tt.hdr...)
			if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("GET /me = %d (WWW-Authenticate %q)", r.Status, r.Header.Get("WWW-Authenticate"))
			}
			r.Problem(t)
		})
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.Throttle.AccountLimit = 3
	}))
	email := uniqueEmail("throttle")
	register(t, app, email)
	for i := range 3 {
		if r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password"}); r.Status != 401 {
			t.Fatalf("failure %d: status %d", i, r.Status)
		}
	}
	r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(email), "password": goodPassword},
		"Accept-Language", "de")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
	if p := r.Problem(t); !strings.Contains(p.Detail, "Anmeldeversuche") {
		t.Fatalf("detail %q is not German", p.Detail)
	}
	// Another account from the same address is not affected.
	other := uniqueEmail("other")
	register(t, app, other)
	login(t, app, other, goodPassword)
}

func TestRedisOutage(t *testing.T) {
	t.Parallel()
	down, keys := redistest.NewDown(t)
	app := onittest.New(t, onittest.WithRedis(down, keys))
	email := uniqueEmail("outage")
	register(t, app, email)
	out, ck := login(t, app, email, goodPassword)
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(out.Token)...); r.Status != http.StatusOK {
		t.Fatalf("GET /me = %d %s", r.Status, r.Body)
	}
	if r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong password"}); r.Status != 401 {
		t.Fatalf("wrong password during the outage = %d", r.Status)
	}
	if r := app.Do(t, "POST", "/api/v1/auth/logout", nil, cookieHeader(ck)...); r.Status != http.StatusNoContent {
		t.Fatalf("logout = %d %s", r.Status, r.Body)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(out.Token)...); r.Status != http.StatusUnauthorized {
		t.Fatalf("after logout GET /me = %d", r.Status)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	t.Parallel()
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.Security.TrustedOrigins = []string{"https://app.example.org"}
	}))
	email := uniqueEmail("csrf")
	register(t, app, email)
	out, ck := login(t, app, email, goodPassword)
	crossSite := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		hdr    []string
		want   int
	}{
		{"cookie PATCH from another site", "PATCH", "/api/v1/me", map[string]any{"name": "Mallory"}, hdr(cookieHeader(ck), crossSite), 403},
		{"cookie password change from another site", "POST", "/api/v1/me/password",
			map[string]any{"current_password": goodPassword, "new_password": "pwned pwned pwned"}, hdr(cookieHeader(ck), crossSite), 403},
		{"cookie logout from another site", "POST", "/api/v1/auth/logout", nil, hdr(cookieHeader(ck), crossSite), 403},
		{"login from another site", "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": goodPassword}, crossSite, 403},
		{"cookie GET from another site is safe", "GET", "/api/v1/me", nil, hdr(cookieHeader(ck), crossSite), 200},
		{"bearer PATCH from another site", "PATCH", "/api/v1/me", map[string]any{"name": "Bearer"}, hdr(onittest.Bearer(out.Token), crossSite), 200},
		{"cookie PATCH from the same origin", "PATCH", "/api/v1/me", map[string]any{"name": "Same"},
			hdr(cookieHeader(ck), []string{"Sec-Fetch-Site", "same-origin"}), 200},
		{"cookie PATCH from a trusted origin", "PATCH", "/api/v1/me", map[string]any{"name": "Trusted"},
			hdr(cookieHeader(ck), []string{"Origin", "https://app.example.org", "Sec-Fetch-Site", "cross-site"}), 200},
		{"cookie PATCH from a non-browser client", "PATCH", "/api/v1/me", map[string]any{"name": "Curl"}, cookieHeader(ck), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := app.Do(t, tt.method, tt.path, tt.body, tt.hdr...)
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.want, r.Body)
			}
			if tt.want == 403 && r.Problem(t).Type != "urn:onit:problem:forbidden" {
				t.Fatalf("problem %s", r.Body)
			}
		})
	}
	// The refused requests changed nothing.
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(out.Token)...); r.Status != http.StatusOK || strings.Contains(string(r.Body), "Mallory") {
		t.Fatalf("GET /me = %d %s", r.Status, r.Body)
	}
	login(t, app, email, goodPassword)
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
