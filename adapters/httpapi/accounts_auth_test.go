package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

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
