package onittest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/mail"
	"github.com/onitapp/onit/adapters/mail/mailtest"
	"github.com/onitapp/onit/app/outbox"
	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/env"
)

// resetApp boots Onit sending its mail to a real SMTP server started for
// the test (STARTTLS on the test's certificate, AUTH PLAIN), with the
// outbox polled every 20 ms and retried after 20 ms.
func resetApp(t *testing.T, edit func(*env.Settings)) (*onittest.App, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "onit", Password: "smtp-pass"})
	app := onittest.New(t,
		onittest.WithSettings(func(s *env.Settings) {
			s.Email.EmailHost, s.Email.EmailPort = srv.Host, srv.Port
			s.Email.EmailUsername, s.Email.EmailPassword = "onit", "smtp-pass"
			s.Email.EmailFrom = "Onit <noreply@onit.example>"
			s.PasswordReset.PublicURL = "https://onit.example/"
			if edit != nil {
				edit(s)
			}
		}),
		onittest.WithFx(
			fx.Decorate(func(c mail.Config) mail.Config { c.RootCAs = srv.RootCAs; return c }),
			fx.Decorate(func() outbox.Config {
				return outbox.Config{Interval: 20 * time.Millisecond, Backoff: func(int) time.Duration { return 20 * time.Millisecond }}
			}),
		))
	return app, srv
}

// waitMail waits until the server holds n messages.
func waitMail(t *testing.T, srv *mailtest.Server, n int) []email.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := srv.Messages(); len(got) >= n {
			return got
		} else if time.Now().After(deadline) {
			t.Fatalf("%d emails arrived, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var linkRe = regexp.MustCompile(`https://onit\.example/reset-password\?token=(\S+)`)

func tokenOf(t *testing.T, m email.Message) string {
	t.Helper()
	match := linkRe.FindStringSubmatch(m.Body)
	if match == nil {
		t.Fatalf("no reset link in %q", m.Body)
	}
	tok, err := url.QueryUnescape(match[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, nil)
	const oldPw, newPw = "correct horse battery staple", "tr0ubadour & sunflowers"
	app.Register(t, "Reset.Me@example.com", oldPw, "Rosa Reset")
	session := app.Login(t, "reset.me@example.com", oldPw)
	other := app.Login(t, "reset.me@example.com", oldPw)
	if r := app.Do(t, "PATCH", "/api/v1/me", map[string]any{"language": "fr"}, onittest.Bearer(session)...); r.Status != 200 {
		t.Fatalf("PATCH /me: %d", r.Status)
	}

	// Known and unknown addresses get the same answer.
	for _, addr := range []string{"RESET.ME@example.com", "nobody@example.com"} {
		if r := app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": addr}); r.Status != http.StatusAccepted || len(r.Body) != 0 {
			t.Fatalf("reset for %s: %d %s", addr, r.Status, r.Body)
		}
	}
	msgs := waitMail(t, srv, 1)
	time.Sleep(100 * time.Millisecond)
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("%d emails, want only the account's", len(got))
	}
	m := msgs[0]
	if m.To != "Reset.Me@example.com" || m.Subject != "Réinitialisation du mot de passe sur Onit" ||
		!strings.Contains(m.Body, "Bonjour Rosa Reset") || !strings.Contains(m.Body, "72 heures") {
		t.Fatalf("email not in the user's language: %+v", m)
	}
	token := tokenOf(t, m)

	// The token is stored only hashed.
	var n int
	if err := app.DB.NewSelect().TableExpr("password_resets").ColumnExpr("COUNT(*)").
		Where("token_hash = ?", token).Scan(t.Context(), &n); err != nil || n != 0 {
		t.Fatalf("token stored in clear (%d rows, %v)", n, err)
	}

	t.Run("validators run on the new password", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": token, "new_password": "rosareset"})
		p := r.Problem(t)
		if r.Status != 422 || !slices.Contains(p.Codes(), "new_password:password_too_similar") {
			t.Fatalf("weak password: %d %v", r.Status, p.Codes())
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": "nope", "new_password": newPw})
		if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, []string{"token:token_invalid"}) {
			t.Fatalf("unknown token: %d %v", r.Status, got)
		}
	})

	if r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": token, "new_password": newPw}); r.Status != http.StatusNoContent {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	for _, tok := range []string{session, other} {
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(tok)...); r.Status != http.StatusUnauthorized {
			t.Fatalf("a session survived the reset: %d", r.Status)
		}
	}
	if r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": "reset.me@example.com", "password": oldPw}); r.Status != 401 {
		t.Fatalf("old password still works: %d", r.Status)
	}
	app.Login(t, "reset.me@example.com", newPw)

	t.Run("the token works once", func(t *testing.T) {
		r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": token, "new_password": "another fine passphrase"})
		if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, []string{"token:token_invalid"}) {
			t.Fatalf("reused token: %d %v", r.Status, got)
		}
	})
}

func TestPasswordResetTokenDiesWithALaterLogin(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, nil)
	const pw = "correct horse battery staple"
	app.Register(t, "later.login@example.com", pw, "Lou Later")
	if r := app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": "later.login@example.com"}); r.Status != 202 {
		t.Fatalf("reset: %d", r.Status)
	}
	token := tokenOf(t, waitMail(t, srv, 1)[0])
	app.Login(t, "later.login@example.com", pw)
	r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": token, "new_password": "tr0ubadour & sunflowers"})
	if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, []string{"token:token_invalid"}) {
		t.Fatalf("token after a later login: %d %v", r.Status, got)
	}
}

func TestPasswordResetExpires(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, func(s *env.Settings) { s.PasswordReset.ResetTimeout = time.Second })
	app.Register(t, "expiring@example.com", "correct horse battery staple", "Eve Expiring")
	app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": "expiring@example.com"})
	token := tokenOf(t, waitMail(t, srv, 1)[0])
	time.Sleep(1100 * time.Millisecond)
	r := app.Do(t, "POST", "/api/v1/auth/password-reset/confirm", map[string]any{"token": token, "new_password": "tr0ubadour & sunflowers"})
	if got := r.Problem(t).Codes(); r.Status != 422 || !slices.Equal(got, []string{"token:token_invalid"}) {
		t.Fatalf("expired token: %d %v", r.Status, got)
	}
}

func TestPasswordResetThrottle(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, func(s *env.Settings) {
		s.PasswordReset.ResetThrottleEmail, s.PasswordReset.ResetThrottleClient = 1, 3
	})
	app.Register(t, "throttled@example.com", "correct horse battery staple", "Theo Throttled")
	for i := range 3 {
		if r := app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": "throttled@example.com"}); r.Status != 202 {
			t.Fatalf("request %d: %d", i+1, r.Status)
		}
	}
	r := app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": "throttled@example.com"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("request 4: %d, Retry-After %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	waitMail(t, srv, 1)
	time.Sleep(100 * time.Millisecond)
	if got := len(srv.Messages()); got != 1 {
		t.Fatalf("%d emails sent, want 1 (the address's limit)", got)
	}
}

// An SMTP outage delays the email and fails nothing: the request is
// answered at once, and the outbox retries until the server accepts.
func TestPasswordResetSurvivesSMTPOutage(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, nil)
	app.Register(t, "outage@example.com", "correct horse battery staple", "Otto Outage")
	srv.Refuse(451)
	if r := app.Do(t, "POST", "/api/v1/auth/password-reset", map[string]any{"email": "outage@example.com"}); r.Status != 202 {
		t.Fatalf("reset during the outage: %d", r.Status)
	}
	time.Sleep(200 * time.Millisecond)
	if got := len(srv.Messages()); got != 0 {
		t.Fatalf("%d emails accepted during the outage", got)
	}
	var attempts int
	if err := app.DB.NewSelect().TableExpr("email_outbox").ColumnExpr("MAX(attempts)").Scan(t.Context(), &attempts); err != nil || attempts < 2 {
		t.Fatalf("outbox attempts = %d, %v; want retries", attempts, err)
	}
	srv.Refuse(0)
	m := waitMail(t, srv, 1)[0]
	if m.To != "outage@example.com" {
		t.Fatalf("delivered %+v", m)
	}
}

func TestPasswordResetBadInput(t *testing.T) {
	t.Parallel()
	app, _ := resetApp(t, nil)
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"empty email", "/api/v1/auth/password-reset", `{"email":""}`, 422},
		{"unknown field", "/api/v1/auth/password-reset", `{"email":"a@b.c","x":1}`, 400},
		{"not json", "/api/v1/auth/password-reset", `{`, 400},
		{"empty token", "/api/v1/auth/password-reset/confirm", `{"token":"","new_password":"x"}`, 422},
		{"wrong type", "/api/v1/auth/password-reset/confirm", `{"token":1,"new_password":"x"}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := app.Do(t, "POST", tt.path, tt.body); r.Status != tt.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tt.status)
			}
		})
	}
}
