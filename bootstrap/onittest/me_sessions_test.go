package onittest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/onitapp/onit/bootstrap/onittest"
)

type sessionItem struct {
	ID         int64   `json:"id"`
	LastUsedAt *string `json:"last_used_at"`
	UserAgent  string  `json:"user_agent"`
	ClientAddr string  `json:"client_addr"`
	Current    bool    `json:"current"`
}

func listSessions(t *testing.T, app *onittest.App, token string) []sessionItem {
	t.Helper()
	r := app.Do(t, "GET", "/api/v1/me/sessions", nil, onittest.Bearer(token)...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me/sessions: %d %s", r.Status, r.Body)
	}
	var out struct {
		Items []sessionItem `json:"items"`
	}
	r.JSON(t, &out)
	return out.Items
}

func TestMySessions(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	const pw = "correct horse battery staple"
	app.Register(t, "sessions.page@example.com", pw, "Sam Sessions")
	login := func(ua string) string {
		r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": "sessions.page@example.com", "password": pw},
			"User-Agent", ua)
		var out struct {
			Token string `json:"token"`
		}
		r.JSON(t, &out)
		return out.Token
	}
	firefox := login("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	phone := login("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
	tablet := login("curl/8.5.0")

	list := listSessions(t, app, firefox)
	if len(list) != 3 {
		t.Fatalf("%d sessions, want 3", len(list))
	}
	byUA := map[string]sessionItem{}
	for _, s := range list {
		byUA[s.UserAgent] = s
		if s.ClientAddr != "127.0.0.0/24" {
			t.Errorf("client_addr %q, want the /24", s.ClientAddr)
		}
	}
	ff, ok := byUA["Firefox 133 on Linux"]
	if !ok || !ff.Current || byUA["Safari 18 on iOS"].Current || list[0].UserAgent != "curl 8" {
		t.Fatalf("sessions = %+v; want newest first, the Firefox one current", list)
	}
	if ff.LastUsedAt == nil {
		t.Fatalf("the current session shows no use: %+v", ff)
	}

	t.Run("another user's or an unknown id is 404", func(t *testing.T) {
		otherTok, _ := app.NewUser(t, "Other Olga")
		if r := app.Do(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", byUA["curl 8"].ID), nil, onittest.Bearer(otherTok)...); r.Status != 404 {
			t.Fatalf("revoking another user's session: %d", r.Status)
		}
		if r := app.Do(t, "DELETE", "/api/v1/me/sessions/abc", nil, onittest.Bearer(firefox)...); r.Status != 400 {
			t.Fatalf("bad id: %d", r.Status)
		}
	})

	if r := app.Do(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", byUA["Safari 18 on iOS"].ID), nil, onittest.Bearer(firefox)...); r.Status != 204 {
		t.Fatalf("revoke one: %d %s", r.Status, r.Body)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(phone)...); r.Status != 401 {
		t.Fatalf("revoked session still works: %d", r.Status)
	}
	if r := app.Do(t, "DELETE", "/api/v1/me/sessions", nil, onittest.Bearer(firefox)...); r.Status != 204 {
		t.Fatalf("revoke others: %d", r.Status)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(tablet)...); r.Status != 401 {
		t.Fatalf("other session still works: %d", r.Status)
	}
	if got := listSessions(t, app, firefox); len(got) != 1 || !got[0].Current {
		t.Fatalf("after revoking the others: %+v", got)
	}
	if r := app.Do(t, "DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", ff.ID), nil, onittest.Bearer(firefox)...); r.Status != 204 {
		t.Fatalf("revoke current: %d", r.Status)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(firefox)...); r.Status != 401 {
		t.Fatalf("current session survived its revocation: %d", r.Status)
	}
}
