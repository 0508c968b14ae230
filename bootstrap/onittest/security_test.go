package onittest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

// Thirty concurrent logins for one account, spread over two instances of
// one deployment (29 wrong, then the right one): at most the limit of 10
// reach the password check, and the right password is refused once the
// limit is spent.
func TestLoginBurstIsCountedBeforeTheHash(t *testing.T) {
	t.Parallel()
	a := onittest.New(t)
	b := onittest.New(t, onittest.WithDB(a.DB), onittest.WithRedis(a.Redis, a.Keys))
	email := fmt.Sprintf("burst-%d@example.com", time.Now().UnixNano())
	a.Register(t, email, sessPassword, "Ada Lovelace")

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 29 {
		app := a
		if i%2 == 1 {
			app = b
		}
		wg.Go(func() {
			r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "wrong guess"})
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if checked := statuses[http.StatusUnauthorized]; checked > a.Settings.Throttle.AccountLimit || checked == 0 {
		t.Errorf("statuses %v: %d attempts reached the password check, want 1..%d", statuses, checked, a.Settings.Throttle.AccountLimit)
	}
	r := b.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": sessPassword})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after the burst: %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
}

// A password change's current password spends the account's login budget.
func TestPasswordChangeIsThrottled(t *testing.T) {
	t.Parallel()
	a := onittest.New(t)
	email := fmt.Sprintf("pw-%d@example.com", time.Now().UnixNano())
	a.Register(t, email, sessPassword, "Ada Lovelace")
	tok := a.Login(t, email, sessPassword)
	for i := range a.Settings.Throttle.AccountLimit {
		r := a.Do(t, "POST", "/api/v1/me/password", map[string]any{"current_password": fmt.Sprintf("guess %d", i), "new_password": "another fine passphrase"}, onittest.Bearer(tok)...)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d %s, want 422", i, r.Status, r.Body)
		}
	}
	r := a.Do(t, "POST", "/api/v1/me/password", map[string]any{"current_password": sessPassword, "new_password": "another fine passphrase"},
		onittest.Bearer(tok)...)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after the limit: %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
	if p := r.Problem(t); !strings.Contains(p.Detail, "password attempts") {
		t.Errorf("detail %q is not the password-change message", p.Detail)
	}
}

// Sign-ups are throttled per client address: 409s must not enumerate
// accounts without end.
func TestRegisterIsThrottled(t *testing.T) {
	t.Parallel()
	a := onittest.New(t, onittest.WithSettings(func(s *env.Settings) { s.Throttle.RegisterLimit = 5 }))
	email := fmt.Sprintf("reg-%d@example.com", time.Now().UnixNano())
	a.Register(t, email, sessPassword, "Ada Lovelace")
	for range 4 {
		r := a.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": sessPassword, "name": "Ada"})
		if r.Status != http.StatusConflict {
			t.Fatalf("repeat sign-up: %d %s, want 409", r.Status, r.Body)
		}
	}
	r := a.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": sessPassword, "name": "Ada"}, "Accept-Language", "fr")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-up beyond the limit: %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
	if p := r.Problem(t); !strings.Contains(p.Detail, "inscription") {
		t.Errorf("detail %q is not the French message", p.Detail)
	}
}

// With a proxy scheme header configured but no trusted proxies, a client
// on a private or loopback address cannot choose its address through
// X-Forwarded-For: a rotating header does not escape the per-client limit.
func TestForwardedForIsIgnoredFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	a := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.Security.ProxySSLHeader = "X-Forwarded-Proto"
		s.Throttle.ClientLimit = 5
	}))
	var last *onittest.Response
	for i := range 8 {
		last = a.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "x"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("8th attempt with a rotating X-Forwarded-For: %d, want 429", last.Status)
	}
}

// From a trusted proxy the right-most untrusted address is the client, so
// two clients behind it are throttled apart.
func TestForwardedForIsReadFromTrustedProxies(t *testing.T) {
	t.Parallel()
	a := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.Security.TrustedProxies = []string{"127.0.0.0/8", "::1"}
		s.Throttle.ClientLimit = 2
	}))
	for i := range 3 {
		r := a.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "x"},
			"X-Forwarded-For", "1.2.3.4, 198.51.100.1")
		if want := map[bool]int{true: 429, false: 401}[i == 2]; r.Status != want {
			t.Fatalf("attempt %d from the first client: %d, want %d", i+1, r.Status, want)
		}
	}
	r := a.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "x"},
		"X-Forwarded-For", "198.51.100.2")
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("another client behind the proxy: %d, want 401", r.Status)
	}
}

// A NUL character is refused in users' text too, translated.
func TestRegisterRefusesNUL(t *testing.T) {
	t.Parallel()
	a := onittest.New(t)
	r := a.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": "nul@example.com", "password": sessPassword, "name": "Ada\x00"}, "Accept-Language", "de")
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("sign-up with NUL in the name: %d %s, want 422", r.Status, r.Body)
	}
	p := r.Problem(t)
	if codes := p.Codes(); len(codes) != 1 || codes[0] != "name:null_characters_not_allowed" {
		t.Errorf("codes %v, want name:null_characters_not_allowed", codes)
	}
	if !strings.Contains(string(r.Body), "Nullzeichen") {
		t.Errorf("message not translated: %s", r.Body)
	}
}

// Routing tells the truth whether or not the caller is authenticated: an
// unknown API path is 404, a method a path lacks is 405 with Allow, HEAD
// works wherever GET does, and OPTIONS is 204 with Allow.
func TestRoutingTellsTheTruth(t *testing.T) {
	t.Parallel()
	a := onittest.New(t)
	tok, _ := a.NewUser(t, "Router")
	tests := []struct {
		method, path string
		auth         bool
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nothing", false, 404, ""},
		{"GET", "/api/v1/nothing", true, 404, ""},
		{"GET", "/api/v1/projects/1/nothing", false, 404, ""},
		{"PUT", "/api/v1/me", false, 405, "GET"},
		{"PUT", "/api/v1/projects/1", true, 405, "PATCH"},
		{"DELETE", "/api/v1/auth/login", false, 405, "POST"},
		{"HEAD", "/api/v1/me", true, 200, ""},
		{"HEAD", "/api/v1/me", false, 401, ""},
		{"HEAD", "/api/openapi.json", false, 200, ""},
		{"HEAD", "/healthz", false, 200, ""},
		{"OPTIONS", "/api/v1/me", false, 204, "PATCH"},
		{"OPTIONS", "/api/v1/tasks/1", false, 204, "DELETE"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, a.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s (auth %v) = %d, want %d", tt.method, tt.path, tt.auth, resp.StatusCode, tt.status)
		}
		if tt.allow != "" && !strings.Contains(resp.Header.Get("Allow"), tt.allow) {
			t.Errorf("%s %s: Allow %q, want it to list %s", tt.method, tt.path, resp.Header.Get("Allow"), tt.allow)
		}
		if (tt.status == 404 || tt.status == 405) && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q, want a problem document", tt.method, tt.path, resp.Header.Get("Content-Type"))
		}
	}
}
