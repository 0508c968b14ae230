package onittest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/bootstrap/onittest"
)

const adminPw = "correct horse battery staple"

// staffLogin registers a user, makes them staff as `onit createsuperuser`
// would have (a column in the database), and logs them in.
func staffLogin(t *testing.T, app *onittest.App, email string) (token string, id int64) {
	t.Helper()
	u := app.Register(t, email, adminPw, "Stella Staff")
	id = int64(u["id"].(float64))
	if _, err := app.DB.NewUpdate().TableExpr("users").Set("is_staff = TRUE").Where("id = ?", id).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	return app.Login(t, email, adminPw), id
}

type adminUser struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	IsActive     bool   `json:"is_active"`
	IsStaff      bool   `json:"is_staff"`
	Sessions     int    `json:"sessions"`
	ProjectCount int    `json:"project_count"`
	Projects     []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"projects"`
}

type auditEntry struct {
	ID          int64  `json:"id"`
	ActorEmail  string `json:"actor_email"`
	Action      string `json:"action"`
	TargetID    int64  `json:"target_id"`
	TargetEmail string `json:"target_email"`
	Message     string `json:"message"`
}

type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// TestAdminIsNotFoundForOthers: anonymous callers, dead tokens and users
// who are not staff get the router's own 404 on every console route, the
// same document as a path that does not exist, and no 401 challenge.
func TestAdminIsNotFoundForOthers(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	member, memberID := app.NewUser(t, "Mere Member")
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/admin/users"},
		{"GET", "/api/v1/admin/users?q=mere"},
		{"GET", fmt.Sprintf("/api/v1/admin/users/%d", memberID)},
		{"POST", fmt.Sprintf("/api/v1/admin/users/%d/deactivate", memberID)},
		{"POST", fmt.Sprintf("/api/v1/admin/users/%d/reactivate", memberID)},
		{"POST", fmt.Sprintf("/api/v1/admin/users/%d/revoke-sessions", memberID)},
		{"POST", fmt.Sprintf("/api/v1/admin/users/%d/password-reset", memberID)},
		{"GET", "/api/v1/admin/audit-log"},
	}
	unknown := app.Do(t, "GET", "/api/v1/admin/no-such-route", nil).Problem(t)
	callers := []struct {
		name string
		hdr  []string
	}{
		{"anonymous", nil},
		{"unknown token", onittest.Bearer("not-a-session")},
		{"not staff", onittest.Bearer(member)},
	}
	for _, c := range callers {
		for _, rt := range routes {
			t.Run(c.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				r := app.Do(t, rt.method, rt.path, nil, c.hdr...)
				if r.Status != http.StatusNotFound {
					t.Fatalf("status %d, want 404: %s", r.Status, r.Body)
				}
				p := r.Problem(t)
				if p.Type != unknown.Type || p.Title != unknown.Title || p.Detail != unknown.Detail {
					t.Fatalf("problem %+v differs from an unknown route's %+v", p, unknown)
				}
				if h := r.Header.Get("WWW-Authenticate"); h != "" {
					t.Fatalf("WWW-Authenticate %q tells the route exists", h)
				}
			})
		}
	}
	// Nothing happened to the member.
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(member)...); r.Status != 200 {
		t.Fatalf("member's session after refused console calls: %d", r.Status)
	}
}

// TestAdminConsole walks the console as staff: search, detail, deactivate
// (sessions refused, login refused), self-deactivation refused,
// reactivate, revoke sessions, a password-reset email through real SMTP,
// and the audit log of it all, in the API and in the table.
func TestAdminConsole(t *testing.T) {
	t.Parallel()
	app, srv := resetApp(t, nil)
	staff, staffID := staffLogin(t, app, "stella@example.com")
	as := onittest.Bearer(staff)

	app.Register(t, "Ann.Lee@example.com", adminPw, "Ann Lee")
	annTok1 := app.Login(t, "ann.lee@example.com", adminPw)
	annTok2 := app.Login(t, "ann.lee@example.com", adminPw)
	app.Register(t, "joanna@example.org", adminPw, "Joanna Ruiz")
	app.Register(t, "bob@example.net", adminPw, "Bob Stone")
	if r := app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": "Website relaunch"}, onittest.Bearer(annTok1)...); r.Status != http.StatusCreated {
		t.Fatalf("create project: %d %s", r.Status, r.Body)
	}

	// Search by email or name, in any case; paged.
	var found page[adminUser]
	r := app.Do(t, "GET", "/api/v1/admin/users?q=ANN", nil, as...)
	if r.Status != 200 {
		t.Fatalf("search: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &found)
	if len(found.Items) != 2 || found.Items[0].Email != "Ann.Lee@example.com" || found.Items[1].Email != "joanna@example.org" {
		t.Fatalf("search ANN = %+v, want Ann (email) and Joanna (name)", found.Items)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
	}
	ann := found.Items[0]
	var first, second page[adminUser]
	app.Do(t, "GET", "/api/v1/admin/users?q=ann&limit=1", nil, as...).JSON(t, &first)
	if len(first.Items) != 1 || first.NextCursor == nil {
		t.Fatalf("page 1 = %+v", first)
	}
	app.Do(t, "GET", "/api/v1/admin/users?q=ann&limit=1&cursor="+url.QueryEscape(*first.NextCursor), nil, as...).JSON(t, &second)
	if len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.NextCursor != nil {
		t.Fatalf("page 2 = %+v after %+v", second, first)
	}
	if r := app.Do(t, "GET", "/api/v1/admin/users?q=bob&limit=1&cursor="+url.QueryEscape(*first.NextCursor), nil, as...); r.Status != 400 {
		t.Fatalf("cursor of another search: %d, want 400", r.Status)
	}

	var detail adminUser
	app.Do(t, "GET", fmt.Sprintf("/api/v1/admin/users/%d", ann.ID), nil, as...).JSON(t, &detail)
	if !detail.IsActive || detail.Sessions != 2 || detail.ProjectCount != 1 || len(detail.Projects) != 1 ||
		detail.Projects[0].Name != "Website relaunch" || detail.Projects[0].Role != "owner" {
		t.Fatalf("detail = %+v, want active, 2 sessions, one owned project", detail)
	}

	// Deactivate: both sessions end at once, and login is refused.
	r = app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/deactivate", ann.ID), nil, as...)
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"revoked":2}` {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	for _, tok := range []string{annTok1, annTok2} {
		if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(tok)...); r.Status != 401 {
			t.Fatalf("deactivated user's session: %d, want 401", r.Status)
		}
	}
	if r := app.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": "ann.lee@example.com", "password": adminPw}); r.Status != 401 {
		t.Fatalf("deactivated user's login: %d, want 401", r.Status)
	}
	app.Do(t, "GET", fmt.Sprintf("/api/v1/admin/users/%d", ann.ID), nil, as...).JSON(t, &detail)
	if detail.IsActive || detail.Sessions != 0 {
		t.Fatalf("after deactivation: %+v", detail)
	}
	if r := app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/password-reset", ann.ID), nil, as...); r.Status != 409 {
		t.Fatalf("reset for a deactivated user: %d, want 409", r.Status)
	}

	// Staff cannot lock themselves out.
	r = app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/deactivate", staffID), nil, as...)
	if r.Status != 409 || r.Problem(t).Type != "urn:onit:problem:conflict" {
		t.Fatalf("self-deactivation: %d %s", r.Status, r.Body)
	}

	// Reactivate: login works again; then end its sessions.
	if r := app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/reactivate", ann.ID), nil, as...); r.Status != 204 {
		t.Fatalf("reactivate: %d %s", r.Status, r.Body)
	}
	annTok3 := app.Login(t, "ann.lee@example.com", adminPw)
	r = app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/revoke-sessions", ann.ID), nil, as...)
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"revoked":1}` {
		t.Fatalf("revoke-sessions: %d %s", r.Status, r.Body)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(annTok3)...); r.Status != 401 {
		t.Fatalf("revoked session: %d, want 401", r.Status)
	}

	// A password-reset email, through the outbox and real SMTP.
	if r := app.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/password-reset", ann.ID), nil, as...); r.Status != 202 {
		t.Fatalf("password-reset: %d %s", r.Status, r.Body)
	}
	msgs := waitMail(t, srv, 1)
	if msgs[0].To != "Ann.Lee@example.com" {
		t.Fatalf("reset email to %q", msgs[0].To)
	}
	tokenOf(t, msgs[0])

	// The audit log, newest first, and one user's.
	var log page[auditEntry]
	app.Do(t, "GET", "/api/v1/admin/audit-log", nil, as...).JSON(t, &log)
	var actions []string
	for _, e := range log.Items {
		if e.ActorEmail != "stella@example.com" || e.TargetID != ann.ID || e.TargetEmail != "Ann.Lee@example.com" {
			t.Errorf("entry %+v: want stella acting on ann", e)
		}
		actions = append(actions, e.Action)
	}
	if want := []string{"password_reset", "revoke_sessions", "reactivate", "deactivate"}; !slices.Equal(actions, want) {
		t.Fatalf("audit actions = %v, want %v", actions, want)
	}
	if log.Items[3].Message != "2 sessions ended" {
		t.Errorf("deactivation entry message = %q", log.Items[3].Message)
	}
	var n int
	if err := app.DB.NewSelect().TableExpr("audit_log").ColumnExpr("COUNT(*)").
		Where("actor_id = ? AND target_id = ?", staffID, ann.ID).Scan(t.Context(), &n); err != nil || n != 4 {
		t.Fatalf("audit_log rows = %d (%v), want 4", n, err)
	}
	var bobs page[auditEntry]
	app.Do(t, "GET", "/api/v1/admin/audit-log?user=999999", nil, as...).JSON(t, &bobs)
	if len(bobs.Items) != 0 {
		t.Fatalf("audit log of a user without entries: %+v", bobs.Items)
	}
	var paged page[auditEntry]
	app.Do(t, "GET", fmt.Sprintf("/api/v1/admin/audit-log?user=%d&limit=3", ann.ID), nil, as...).JSON(t, &paged)
	if len(paged.Items) != 3 || paged.NextCursor == nil {
		t.Fatalf("audit page = %+v", paged)
	}
	app.Do(t, "GET", fmt.Sprintf("/api/v1/admin/audit-log?user=%d&limit=3&cursor=%s", ann.ID, url.QueryEscape(*paged.NextCursor)), nil, as...).JSON(t, &paged)
	if len(paged.Items) != 1 || paged.Items[0].Action != "deactivate" || paged.NextCursor != nil {
		t.Fatalf("audit page 2 = %+v", paged)
	}
}

// TestAdminBadInput: malformed parameters are 400, out-of-range ones 422,
// an unknown user 404, never 500.
func TestAdminBadInput(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	staff, _ := staffLogin(t, app, "stan@example.com")
	as := onittest.Bearer(staff)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/v1/admin/users?limit=abc", 400, "limit:number"},
		{"GET", "/api/v1/admin/users?limit=101", 422, "limit:range"},
		{"GET", "/api/v1/admin/users?cursor=forged.cursor", 400, "cursor:cursor"},
		{"GET", "/api/v1/admin/users?q=" + strings.Repeat("a", 255), 422, "q:max"},
		{"GET", "/api/v1/admin/users/abc", 400, "id:id"},
		{"GET", "/api/v1/admin/users/0", 400, "id:id"},
		{"GET", "/api/v1/admin/users/999999", 404, ""},
		{"POST", "/api/v1/admin/users/999999/deactivate", 404, ""},
		{"POST", "/api/v1/admin/users/999999/reactivate", 404, ""},
		{"POST", "/api/v1/admin/users/999999/revoke-sessions", 404, ""},
		{"POST", "/api/v1/admin/users/999999/password-reset", 404, ""},
		{"GET", "/api/v1/admin/audit-log?user=abc", 400, "user:id"},
		{"GET", "/api/v1/admin/audit-log?user=-4", 400, "user:id"},
		{"GET", "/api/v1/admin/audit-log?limit=0", 422, "limit:range"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 60)], func(t *testing.T) {
			r := app.Do(t, tc.method, tc.path, nil, as...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			p := r.Problem(t)
			if tc.code != "" && !slices.Contains(p.Codes(), tc.code) {
				t.Fatalf("codes %v, want %s", p.Codes(), tc.code)
			}
		})
	}
}

// TestAdminActionRollsBackWithoutItsAuditEntry: the entry is written in
// the action's transaction, so when it cannot be written the deactivation
// does not happen either: the user stays active and logged in.
func TestAdminActionRollsBackWithoutItsAuditEntry(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	staff, _ := staffLogin(t, app, "sam@example.com")
	victim, victimID := app.NewUser(t, "Vic Tim")
	// The test's own database: break the audit table under the running app.
	if _, err := app.DB.ExecContext(t.Context(), "ALTER TABLE audit_log RENAME TO audit_log_gone"); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", fmt.Sprintf("%s/api/v1/admin/users/%d/deactivate", app.URL, victimID), bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("deactivate without an audit table: %d, want 500", resp.StatusCode)
	}
	if r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(victim)...); r.Status != 200 {
		t.Fatalf("victim's session after the failed deactivation: %d, want 200", r.Status)
	}
	var active bool
	if err := app.DB.NewSelect().TableExpr("users").Column("is_active").Where("id = ?", victimID).Scan(t.Context(), &active); err != nil || !active {
		t.Fatalf("victim active = %v (%v), want still active", active, err)
	}
}

// TestAdminDeactivationReachesOtherInstance: a deactivation on one
// instance ends the user's sessions on another that serves them from its
// memory, within a second, and B refuses their login too.
func TestAdminDeactivationReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := sessPair(t)
	staff, _ := staffLogin(t, a.App, fmt.Sprintf("staff-%d@example.com", time.Now().UnixNano()))
	email := sessUser(t, a)
	tok := a.Login(t, email, sessPassword)
	sessWarm(t, b, tok)
	// The login's announcement arrives a second time from the MySQL log
	// within a poll (250 ms) and may drop B's copy: let it land, warm
	// again, so only the deactivation can end the copy below.
	time.Sleep(600 * time.Millisecond)
	sessWarm(t, b, tok)
	var found page[adminUser]
	a.Do(t, "GET", "/api/v1/admin/users?q="+url.QueryEscape(email), nil, onittest.Bearer(staff)...).JSON(t, &found)
	if len(found.Items) != 1 {
		t.Fatalf("search for %s: %+v", email, found.Items)
	}

	if r := a.Do(t, "POST", fmt.Sprintf("/api/v1/admin/users/%d/deactivate", found.Items[0].ID), nil, onittest.Bearer(staff)...); r.Status != 200 {
		t.Fatalf("deactivate on A: %d %s", r.Status, r.Body)
	}
	took := sessWaitFor(t, sessRevocationDeadline, "B refuses the deactivated user's session", func() bool {
		st, _ := sessMe(t, b, tok)
		return st == http.StatusUnauthorized
	})
	t.Logf("B refused the session %v after the deactivation", took)
	if r := b.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": sessPassword}); r.Status != 401 {
		t.Fatalf("login on B after deactivation: %d, want 401", r.Status)
	}
}
