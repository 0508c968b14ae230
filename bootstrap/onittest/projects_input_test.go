package onittest_test

// Bad input never produces a 500: every malformed, out-of-range or
// inconsistent request to the projects API gets a 4xx problem document
// naming the offending fields, in the negotiated language.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/bootstrap/onittest"
)

func TestProjectsBadInput(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	alice, stranger := newUser(t, app, "Alice"), newUser(t, app, "Stranger")
	p := createProject(t, app, alice, "Strict")
	task := createTask(t, app, alice, p.ID, map[string]any{"title": "target"})
	tasks := projectPath(p.ID, "/tasks")
	huge := strings.Repeat("x", 10_000)

	cases := []struct {
		name         string
		method, path string
		body         any // string: sent as is
		status       int
		codes        []string // nil: not checked
	}{
		// JSON syntax and types: 400.
		{"malformed JSON", "POST", tasks, `{"title":`, 400, nil},
		{"not an object", "POST", tasks, `["title"]`, 400, nil},
		{"empty body", "POST", tasks, ``, 400, nil},
		{"trailing data", "POST", tasks, `{"title":"a"} {"title":"b"}`, 400, nil},
		{"title is a number", "POST", tasks, `{"title":5}`, 400, []string{"title:wrong_type"}},
		{"assignee is a string", "POST", tasks, `{"title":"a","assignee_id":"7"}`, 400, []string{"assignee_id:wrong_type"}},
		{"assignee is fractional", "POST", tasks, `{"title":"a","assignee_id":1.5}`, 400, []string{"assignee_id:wrong_type"}},
		{"assignee overflows int64", "POST", tasks, `{"title":"a","assignee_id":99999999999999999999}`, 400, []string{"assignee_id:wrong_type"}},
		{"due_date is a number", "POST", tasks, `{"title":"a","due_date":20260101}`, 400, []string{"due_date:wrong_type"}},
		{"unknown field", "POST", tasks, `{"title":"a","owner":1}`, 400, []string{"owner:unknown_field"}},
		{"duplicate field", "POST", tasks, `{"title":"a","title":"b"}`, 400, []string{"title:duplicate_field"}},
		{"invalid UTF-8", "POST", tasks, "{\"title\":\"\xff\"}", 400, nil},
		{"PATCH status is a bool", "PATCH", taskPath(task.ID), `{"status":true}`, 400, []string{"status:wrong_type"}},
		{"project name is an object", "POST", "/api/v1/projects", `{"name":{}}`, 400, []string{"name:wrong_type"}},
		{"comment body is null", "POST", taskPath(task.ID, "/comments"), `{"body":null}`, 422, []string{"body:required"}},

		// Rules: 422 with every broken field.
		{"empty title", "POST", tasks, map[string]any{"title": ""}, 422, []string{"title:required"}},
		{"blank title", "POST", tasks, map[string]any{"title": "   "}, 422, []string{"title:required"}},
		{"10,000-character title", "POST", tasks, map[string]any{"title": huge}, 422, []string{"title:max"}},
		{"201-character title", "POST", tasks, map[string]any{"title": strings.Repeat("é", 201)}, 422, []string{"title:max"}},
		{"10,001-character description", "POST", tasks, map[string]any{"title": "a", "description": huge + "x"}, 422, []string{"description:max"}},
		{"unknown status", "POST", tasks, map[string]any{"title": "a", "status": "closed"}, 422, []string{"status:oneof"}},
		{"unknown priority", "POST", tasks, map[string]any{"title": "a", "priority": "extreme"}, 422, []string{"priority:oneof"}},
		{"every field wrong", "POST", tasks, map[string]any{"title": "", "status": "x", "priority": "y"}, 422, []string{"title:required", "status:oneof", "priority:oneof"}},
		{"due_date 2026-02-30", "POST", tasks, map[string]any{"title": "a", "due_date": "2026-02-30"}, 422, []string{"due_date:date"}},
		{"due_date not a date", "POST", tasks, map[string]any{"title": "a", "due_date": "tomorrow"}, 422, []string{"due_date:date"}},
		{"bad date and empty title together", "POST", tasks, map[string]any{"title": "", "status": "x", "due_date": "2026-02-30"}, 422, []string{"title:required", "status:oneof", "due_date:date"}},
		{"due_date with time", "POST", tasks, map[string]any{"title": "a", "due_date": "2030-01-01T00:00:00Z"}, 422, []string{"due_date:date"}},
		{"non-existent assignee", "POST", tasks, map[string]any{"title": "a", "assignee_id": int64(1) << 50}, 422, []string{"assignee_id:not_member"}},
		{"assignee not a member", "POST", tasks, map[string]any{"title": "a", "assignee_id": stranger.id}, 422, []string{"assignee_id:not_member"}},
		{"negative assignee", "POST", tasks, map[string]any{"title": "a", "assignee_id": -1}, 422, nil},
		{"PATCH non-existent assignee", "PATCH", taskPath(task.ID), map[string]any{"assignee_id": int64(1) << 50}, 422, []string{"assignee_id:not_member"}},
		{"PATCH 2026-02-30", "PATCH", taskPath(task.ID), map[string]any{"due_date": "2026-02-30"}, 422, []string{"due_date:date"}},
		{"PATCH null title", "PATCH", taskPath(task.ID), map[string]any{"title": nil}, 422, []string{"title:required"}},
		{"PATCH null status", "PATCH", taskPath(task.ID), map[string]any{"status": nil}, 422, []string{"status:required"}},
		{"PATCH 10,000-character title", "PATCH", taskPath(task.ID), map[string]any{"title": huge}, 422, []string{"title:max"}},
		{"PATCH unknown status", "PATCH", taskPath(task.ID), map[string]any{"status": "archived"}, 422, []string{"status:oneof"}},
		{"empty project name", "POST", "/api/v1/projects", map[string]any{"name": ""}, 422, []string{"name:required"}},
		{"10,000-character project name", "POST", "/api/v1/projects", map[string]any{"name": huge}, 422, []string{"name:max"}},
		{"PATCH project null name", "PATCH", projectPath(p.ID), map[string]any{"name": nil}, 422, []string{"name:required"}},
		{"empty comment", "POST", taskPath(task.ID, "/comments"), map[string]any{"body": ""}, 422, []string{"body:required"}},
		{"5,001-character comment", "POST", taskPath(task.ID, "/comments"), map[string]any{"body": strings.Repeat("c", 5001)}, 422, []string{"body:max"}},

		// Field names match exactly (encoding/json alone folds case and ſ → s).
		{"upper-case twin of a field", "POST", projectPath(p.ID, "/members"), map[string]any{"email": "x@example.com", "role": "member", "ROLE": "owner"}, 400, []string{"ROLE:unknown_field"}},
		{"long s folds to status", "PATCH", taskPath(task.ID), map[string]any{"ſtatus": "done"}, 400, []string{"ſtatus:unknown_field"}},
		{"capitalised title", "POST", tasks, map[string]any{"Title": "a"}, 400, []string{"Title:unknown_field"}},

		// NUL characters are refused in every text input (Django's ProhibitNullCharactersValidator).
		{"NUL in a task title", "POST", tasks, map[string]any{"title": "a\u0000b"}, 422, []string{"title:null_characters_not_allowed"}},
		{"NUL in a task patch", "PATCH", taskPath(task.ID), map[string]any{"description": "\u0000"}, 422, []string{"description:null_characters_not_allowed"}},
		{"NUL in a project name", "POST", "/api/v1/projects", map[string]any{"name": "a\u0000b"}, 422, []string{"name:null_characters_not_allowed"}},
		{"NUL in a comment", "POST", taskPath(task.ID, "/comments"), map[string]any{"body": "a\u0000b"}, 422, []string{"body:null_characters_not_allowed"}},
		{"NUL in the q filter", "GET", tasks + "?q=a%00b", nil, 422, []string{"q:null_characters_not_allowed"}},

		// Query parameters.
		{"limit=0", "GET", tasks + "?limit=0", nil, 422, []string{"limit:range"}},
		{"limit=101", "GET", tasks + "?limit=101", nil, 422, []string{"limit:range"}},
		{"limit=-1", "GET", tasks + "?limit=-1", nil, 422, []string{"limit:range"}},
		{"limit huge", "GET", tasks + "?limit=99999999999999999999", nil, 400, []string{"limit:number"}},
		{"limit=abc", "GET", tasks + "?limit=abc", nil, 400, []string{"limit:number"}},
		{"projects limit=101", "GET", "/api/v1/projects?limit=101", nil, 422, []string{"limit:range"}},
		{"members limit=abc", "GET", projectPath(p.ID, "/members?limit=abc"), nil, 400, []string{"limit:number"}},
		{"comments limit=0", "GET", taskPath(task.ID, "/comments?limit=0"), nil, 422, []string{"limit:range"}},
		{"unknown order", "GET", tasks + "?order=title", nil, 422, []string{"order:oneof"}},
		{"unknown status filter", "GET", tasks + "?status=open", nil, 422, []string{"status:oneof"}},
		{"unknown priority filter", "GET", tasks + "?priority=meh", nil, 422, []string{"priority:oneof"}},
		{"every filter wrong", "GET", tasks + "?status=a&priority=b&order=c&limit=0", nil, 422, []string{"status:oneof", "priority:oneof", "order:oneof", "limit:range"}},
		{"assignee_id=abc", "GET", tasks + "?assignee_id=abc", nil, 400, []string{"assignee_id:id"}},
		{"assignee_id overflows", "GET", tasks + "?assignee_id=99999999999999999999", nil, 400, []string{"assignee_id:id"}},
		{"due_before 2026-02-30", "GET", tasks + "?due_before=2026-02-30", nil, 422, []string{"due_before:date"}},
		{"q too long", "GET", tasks + "?q=" + strings.Repeat("q", 1000), nil, 422, []string{"q:max"}},

		// Path IDs.
		{"task ID overflows int64", "GET", "/api/v1/tasks/99999999999999999999", nil, 400, []string{"id:id"}},
		{"project ID overflows int64", "GET", "/api/v1/projects/99999999999999999999", nil, 400, []string{"id:id"}},
		{"project ID overflows on tasks", "POST", "/api/v1/projects/99999999999999999999/tasks", map[string]any{"title": "a"}, 400, []string{"id:id"}},
		{"task ID zero", "PATCH", "/api/v1/tasks/0", map[string]any{"title": "a"}, 400, []string{"id:id"}},
		{"task ID negative", "DELETE", "/api/v1/tasks/-5", nil, 400, []string{"id:id"}},
		{"task ID letters", "GET", "/api/v1/tasks/abc/comments", nil, 400, []string{"id:id"}},
		{"member ID overflows", "DELETE", projectPath(p.ID, "/members/99999999999999999999"), nil, 400, []string{"user_id:id"}},
		{"max int64 task", "GET", "/api/v1/tasks/9223372036854775807", nil, 404, nil},

		// Headers and size.
		{"body over 1 MiB", "POST", tasks, `{"title":"a","description":"` + strings.Repeat("d", 1<<20) + `"}`, 413, nil},
		{"malformed If-Match", "PATCH", taskPath(task.ID), map[string]any{"title": "a"}, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := alice.auth
			if c.name == "malformed If-Match" {
				hdr = alice.with("If-Match", "W/unquoted")
			}
			r := app.Do(t, c.method, c.path, c.body, hdr...)
			p := expectProblem(t, r, c.status, c.codes, c.name)
			for _, e := range p.Errors {
				if e.Message == "" || strings.HasPrefix(e.Message, "validation.") {
					t.Errorf("field %s has no translated message: %q", e.Field, e.Message)
				}
			}
		})
	}

	// Nothing above changed the task or created anything.
	if got, _ := getTask(t, app, alice, task.ID); got.Version != 1 || got.Title != "target" {
		t.Errorf("task after bad input: %+v", got)
	}
	if got := walk[taskJSON](t, app, alice, tasks, nil); len(got) != 1 {
		t.Errorf("%d tasks after bad input, want 1", len(got))
	}
}

// Field errors and titles are translated. A user's saved language wins;
// registering without one saves the language negotiated from
// Accept-Language, and anonymous requests use Accept-Language directly.
// Content-Language names the language used.
func TestProjectsErrorsTranslated(t *testing.T) {
	t.Parallel()
	app := onittest.New(t)
	owner := newUser(t, app, "Owner")
	p := createProject(t, app, owner, "Sprachen")
	bad := []struct {
		body  map[string]any
		codes []string
	}{
		{map[string]any{"title": "", "priority": "extreme"}, []string{"title:required", "priority:oneof"}},
		{map[string]any{"title": "a", "due_date": "2026-02-30"}, []string{"due_date:date"}},
	}

	messages := map[string]map[string]string{} // language → field → message
	titles := map[string]string{}
	users := map[string]user{}
	for _, lang := range []string{"en", "de", "fr", "es"} {
		t.Run(lang, func(t *testing.T) {
			u := newUserIn(t, app, "User "+lang, lang+";q=1, en;q=0.1")
			addMember(t, app, owner, p.ID, u, "member")
			users[lang] = u
			messages[lang] = map[string]string{}
			for _, b := range bad {
				// No Accept-Language now: the saved language decides.
				r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), b.body, u.auth...)
				prob := expectProblem(t, r, http.StatusUnprocessableEntity, b.codes, lang)
				if got := r.Header.Get("Content-Language"); got != lang {
					t.Errorf("Content-Language = %q, want %q", got, lang)
				}
				for _, e := range prob.Errors {
					messages[lang][e.Field] = e.Message
				}
				titles[lang] = prob.Title + "|" + prob.Detail
			}
		})
	}
	for _, lang := range []string{"de", "fr", "es"} {
		for field, en := range messages["en"] {
			if messages[lang][field] == "" || messages[lang][field] == en {
				t.Errorf("%s message for %s = %q, English %q: not translated", lang, field, messages[lang][field], en)
			}
		}
		if titles[lang] == titles["en"] {
			t.Errorf("%s title/detail %q equals the English one", lang, titles[lang])
		}
	}
	if m := messages["de"]["due_date"]; !strings.Contains(m, "Datum") {
		t.Errorf("German due_date message = %q", m)
	}
	if m := messages["en"]["priority"]; !strings.Contains(m, "urgent") {
		t.Errorf("English priority message %q does not list the choices", m)
	}

	// Other endpoints and error kinds are translated too.
	de, en := users["de"], users["en"]
	for _, c := range []struct{ method, path string }{
		{"GET", projectPath(p.ID, "/tasks?limit=0")},
		{"GET", projectPath(p.ID, "/tasks?status=open&due_before=2026-02-30")},
		{"GET", "/api/v1/tasks/99999999999999999999"},
		{"GET", fmt.Sprintf("/api/v1/tasks/%d", int64(1)<<50)},
		{"GET", projectPath(p.ID, "/tasks?cursor=forged")},
	} {
		pe := app.Do(t, c.method, c.path, nil, en.auth...).Problem(t)
		pd := app.Do(t, c.method, c.path, nil, de.auth...).Problem(t)
		if pe.Title == pd.Title || pe.Detail == pd.Detail {
			t.Errorf("%s %s: German problem %q/%q, English %q/%q", c.method, c.path, pd.Title, pd.Detail, pe.Title, pe.Detail)
		}
		if len(pd.Errors) != len(pe.Errors) {
			t.Errorf("%s %s: %d German errors, %d English", c.method, c.path, len(pd.Errors), len(pe.Errors))
		}
		for i := range min(len(pd.Errors), len(pe.Errors)) {
			if pd.Errors[i].Message == pe.Errors[i].Message {
				t.Errorf("%s %s: German message %q equals the English one", c.method, c.path, pd.Errors[i].Message)
			}
		}
	}

	// The saved language wins over Accept-Language.
	r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), bad[0].body, de.with("Accept-Language", "fr")...)
	prob := expectProblem(t, r, http.StatusUnprocessableEntity, nil, "saved language")
	if r.Header.Get("Content-Language") != "de" {
		t.Errorf("Content-Language = %q, want the saved de", r.Header.Get("Content-Language"))
	}
	for _, e := range prob.Errors {
		if e.Message != messages["de"][e.Field] {
			t.Errorf("%s: %q, want the German %q", e.Field, e.Message, messages["de"][e.Field])
		}
	}

	// Without a session, Accept-Language decides.
	anon := map[string]string{}
	for _, lang := range []string{"en", "de"} {
		r := app.Do(t, "POST", projectPath(p.ID, "/tasks"), bad[0].body, "Accept-Language", lang)
		prob := expectProblem(t, r, http.StatusUnauthorized, nil, "anonymous")
		if r.Header.Get("Content-Language") != lang {
			t.Errorf("anonymous Content-Language = %q, want %q", r.Header.Get("Content-Language"), lang)
		}
		anon[lang] = prob.Title + "|" + prob.Detail
	}
	if anon["en"] == anon["de"] {
		t.Errorf("anonymous 401 not translated: %q", anon["de"])
	}
}

// newUserIn registers a user without a language in the body, sending
// acceptLanguage, and logs them in.
func newUserIn(t *testing.T, app *onittest.App, name, acceptLanguage string) user {
	t.Helper()
	email := fmt.Sprintf("%s-%d@example.com", strings.ReplaceAll(strings.ToLower(name), " ", "."), time.Now().UnixNano())
	r := app.Do(t, "POST", "/api/v1/auth/register",
		map[string]any{"email": email, "password": "correct horse battery staple", "name": name}, "Accept-Language", acceptLanguage)
	expect(t, r, http.StatusCreated, "register "+name)
	u := decode[map[string]any](t, r)
	return user{id: int64(u["id"].(float64)), email: email, auth: onittest.Bearer(app.Login(t, email, "correct horse battery staple"))}
}
