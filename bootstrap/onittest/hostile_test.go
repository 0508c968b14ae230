package onittest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/onitapp/onit/adapters/httpapi"
	"github.com/onitapp/onit/bootstrap/onittest"
)

var (
	hostileSeed  = flag.Uint64("hostile.seed", 20261126, "seed of TestHostileInput's request generator")
	hostileCount = flag.Int("hostile.n", 10_000, "requests TestHostileInput sends")
	hostileMax   = flag.Int("hostile.maxfail", 50, "failed requests after which TestHostileInput stops")
)

// hostileWorkers send requests concurrently; a handful keeps the run short
// without drowning a 2-core machine.
const hostileWorkers = 8

// TestHostileInput sends generated hostile requests to every operation of
// the OpenAPI document: random and truncated JSON, wrong types, 2^63 and -1
// IDs, invalid UTF-8, 1 MiB + 1 bodies, 8 KiB headers, forged cursors and
// ETags, unknown enum values, SQL and script fragments in every string
// field, duplicate JSON keys, with a valid bearer token and without. No
// answer may be a 5xx, nothing may panic, every error is a problem document,
// and (through App.Do) every answer matches the document.
//
// The generator is seeded (-hostile.seed), each worker deterministic, so a
// failure names the request and reproduces.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 requests; skipped with -short")
	}
	var logs onittest.LogBuffer
	app := onittest.New(t, onittest.WithLogs(&logs))
	raw, err := httpapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := onittest.LoadDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	fx := newHostileFixture(t, app)
	ops := operations(doc)
	if len(ops) < 20 {
		t.Fatalf("only %d operations in the document", len(ops))
	}
	t.Logf("seed %d, %d requests over %d operations", *hostileSeed, *hostileCount, len(ops))

	start := time.Now()
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		perOp    = map[string]int{}
		failures int
	)
	var wg sync.WaitGroup
	for w := range hostileWorkers {
		wg.Go(func() {
			g := &hostileGen{rng: rand.New(rand.NewPCG(*hostileSeed, uint64(w))), fx: fx}
			for n := w; n < *hostileCount; n += hostileWorkers {
				op := ops[g.rng.IntN(len(ops))]
				req := g.request(op)
				desc := fmt.Sprintf("request %d (worker %d): %s", n, w, req)
				tb := &labelled{TB: t, label: desc}
				var r *onittest.Response
				if req.method == op.method {
					r = app.Do(tb, req.method, req.path, req.body, req.hdr...)
				} else {
					// No operation to validate the answer against: only
					// the rules below apply.
					r = rawDo(tb, app.URL, req)
				}
				ok := checkHostileAnswer(tb, req.method, r)
				mu.Lock()
				statuses[r.Status]++
				perOp[op.method+" "+op.path]++
				if !ok || tb.failed {
					failures++
				}
				stop := failures > *hostileMax
				mu.Unlock()
				if stop {
					t.Errorf("more than %d failed requests; stopping", *hostileMax)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d requests in %v; statuses %v", *hostileCount, time.Since(start).Round(time.Millisecond), statuses)
	for _, op := range ops {
		if perOp[op.method+" "+op.path] == 0 {
			t.Errorf("%s %s was never exercised", op.method, op.path)
		}
	}
	if out := logs.String(); strings.Contains(strings.ToLower(out), "panic") {
		i := strings.Index(strings.ToLower(out), "panic")
		t.Errorf("the app logged a panic: …%s…", out[max(0, i-500):min(len(out), i+2000)])
	}
}

// rawDo sends req without App.Do's document check, for methods the
// document does not have on that path.
func rawDo(t *labelled, base string, req hostileRequest) *onittest.Response {
	t.Helper()
	var body io.Reader
	if b, ok := req.body.([]byte); ok {
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, req.method, base+req.path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(req.hdr); i += 2 {
		hr.Header.Set(req.hdr[i], req.hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &onittest.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// checkHostileAnswer applies the rules every answer to hostile input keeps:
// no 5xx, and every error a complete problem document. A HEAD answer has no body, so no document either.
func checkHostileAnswer(t *labelled, method string, r *onittest.Response) bool {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("answered %d: %.300s", r.Status, r.Body)
		return false
	}
	if r.Status < 400 || method == http.MethodHead {
		return true
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%d with Content-Type %q: %.300s", r.Status, ct, r.Body)
		return false
	}
	var p struct {
		Type     *string `json:"type"`
		Title    *string `json:"title"`
		Status   *int    `json:"status"`
		Detail   *string `json:"detail"`
		Instance *string `json:"instance"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Errorf("%d problem is not JSON (%v): %.300s", r.Status, err, r.Body)
		return false
	}
	if p.Type == nil || *p.Type == "" || p.Title == nil || *p.Title == "" || p.Detail == nil || p.Instance == nil || p.Status == nil || *p.Status != r.Status {
		t.Errorf("%d problem lacks a required field: %.300s", r.Status, r.Body)
		return false
	}
	return true
}

// labelled prefixes every failure with the request that caused it, so the
// report reproduces it. Fatal failures end only the calling worker.
type labelled struct {
	testing.TB
	label  string
	failed bool
}

func (l *labelled) Errorf(format string, args ...any) {
	l.Helper()
	l.failed = true
	l.TB.Errorf("%s\n    %s", l.label, fmt.Sprintf(format, args...))
}

func (l *labelled) Error(args ...any) { l.Helper(); l.Errorf("%s", fmt.Sprint(args...)) }

func (l *labelled) Fatalf(format string, args ...any) {
	l.Helper()
	l.Errorf(format, args...)
	runtime.Goexit() // ends this worker; the test goroutine carries on
}

func (l *labelled) Fatal(args ...any) { l.Helper(); l.Fatalf("%s", fmt.Sprint(args...)) }

// ---- the document's operations ----

type operation struct {
	method, path string
	params       []*openapi3.Parameter
	body         *openapi3.Schema // nil: no request body
}

func operations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{method: method, path: path}
			for _, p := range append(item.Parameters, op.Parameters...) {
				o.params = append(o.params, p.Value)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					o.body = mt.Schema.Value
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].method+ops[i].path < ops[j].method+ops[j].path })
	return ops
}

// ---- the fixture the requests aim at ----

type hostileFixture struct {
	token, memberToken   string
	userID, memberID     int64
	project, task        int64
	taskETag, projETag   string
	taskCursor, projCurs string
	commentCursor        string
}

func newHostileFixture(t *testing.T, app *onittest.App) *hostileFixture {
	t.Helper()
	fx := &hostileFixture{}
	fx.token, fx.userID = app.NewUser(t, "Hostile Owner")
	var memberEmail string
	fx.memberToken, fx.memberID = app.NewUser(t, "Hostile Member")
	r := app.Do(t, "GET", "/api/v1/me", nil, onittest.Bearer(fx.memberToken)...)
	var me struct {
		Email string `json:"email"`
	}
	r.JSON(t, &me)
	memberEmail = me.Email
	auth := onittest.Bearer(fx.token)
	var obj struct {
		ID int64 `json:"id"`
	}
	for i := range 2 {
		r = app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": fmt.Sprintf("hostile %d", i)}, auth...)
		r.JSON(t, &obj)
		fx.project = obj.ID
	}
	if r := app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/members", fx.project), map[string]any{"email": memberEmail, "role": "member"}, auth...); r.Status != http.StatusCreated {
		t.Fatalf("add member: %d %s", r.Status, r.Body)
	}
	for i := range 2 {
		r = app.Do(t, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", fx.project), map[string]any{"title": fmt.Sprintf("task %d", i), "assignee_id": fx.memberID}, auth...)
		r.JSON(t, &obj)
		fx.task = obj.ID
		fx.taskETag = r.Header.Get("ETag")
		app.Do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/comments", fx.task), map[string]any{"body": "hi"}, auth...)
	}
	fx.projETag = app.Do(t, "GET", fmt.Sprintf("/api/v1/projects/%d", fx.project), nil, auth...).Header.Get("ETag")
	cursor := func(path string) string {
		var page struct {
			Next *string `json:"next_cursor"`
		}
		app.Do(t, "GET", path, nil, auth...).JSON(t, &page)
		if page.Next == nil {
			t.Fatalf("GET %s: no next_cursor", path)
		}
		return *page.Next
	}
	fx.taskCursor = cursor(fmt.Sprintf("/api/v1/projects/%d/tasks?limit=1", fx.project))
	fx.projCurs = cursor("/api/v1/projects?limit=1")
	app.Do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/comments", fx.task), map[string]any{"body": "again"}, auth...)
	fx.commentCursor = cursor(fmt.Sprintf("/api/v1/tasks/%d/comments?limit=1", fx.task))
	return fx
}

// ---- the generator ----

type hostileGen struct {
	rng *rand.Rand
	fx  *hostileFixture
}

type hostileRequest struct {
	method, path string
	body         any // nil or []byte
	hdr          []string
	note         string
}

func (r hostileRequest) String() string {
	b, _ := r.body.([]byte)
	hdr := make([]string, 0, len(r.hdr)/2)
	for i := 0; i+1 < len(r.hdr); i += 2 {
		v := r.hdr[i+1]
		if len(v) > 60 {
			v = fmt.Sprintf("%.60q…(%d bytes)", v, len(v))
		} else {
			v = strconv.Quote(v)
		}
		hdr = append(hdr, r.hdr[i]+": "+v)
	}
	body := fmt.Sprintf("%.200q", b)
	if len(b) > 200 {
		body += fmt.Sprintf("…(%d bytes)", len(b))
	}
	return fmt.Sprintf("%s %.300s [%s] {%s} body %s", r.method, r.path, r.note, strings.Join(hdr, "; "), body)
}

func (g *hostileGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

func (g *hostileGen) chance(p float64) bool { return g.rng.Float64() < p }

// hostileIDs are path IDs a client should never send.
var hostileIDs = []string{"0", "-1", "9223372036854775808", "9223372036854775807", "-9223372036854775808",
	"18446744073709551616", "99999999999999999999999", "1e3", "0x10", "1.5", "abc", "%20", "1%00", "١٢", "%ff%fe",
	"1;DROP%20TABLE%20tasks", "%27%20OR%201=1--", "%3Cscript%3E", "..%2F..%2Fetc%2Fpasswd", strings.Repeat("9", 400), "+1", "01", "1%2C2"}

// fragments go into every string field and parameter.
var fragments = []string{"' OR '1'='1", "'; DROP TABLE tasks; --", "\" OR 1=1 --", "1) UNION SELECT password FROM users --",
	"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "{{.}}", "${7*7}", "%s%s%n",
	"\\x00", "\u0000", "\u202e", "\ufeff", "😀", "\\", "%", "_", "a%", "../../", strings.Repeat("A", 300), "null", "NaN", ""}

func (g *hostileGen) hostileString() string {
	switch g.rng.IntN(5) {
	case 0:
		return string([]byte{0xff, 0xfe, 'x', 0xc3}) // invalid UTF-8
	case 1:
		// Long, but with the rest of the request under net/http's 64 KiB
		// header limit, which it enforces with a plain-text 431 of its own.
		return strings.Repeat(g.pick("x", "é", "𝄞"), g.rng.IntN(2000))
	default:
		return g.pick(fragments...)
	}
}

// request builds one hostile request for op.
func (g *hostileGen) request(op operation) hostileRequest {
	fx := g.fx
	req := hostileRequest{method: op.method}
	if g.chance(0.03) { // a method the route does not have
		req.method = g.pick("PUT", "DELETE", "PATCH", "POST", "OPTIONS", "TRACE")
	}

	// Authentication. A valid session never reaches logout or a method
	// the route does not have, so the fixture's sessions and objects stay.
	mayAuth := op.path != "/api/v1/auth/logout" && req.method == op.method
	valid := false
	switch x := g.rng.Float64(); {
	case x < 0.6 && mayAuth:
		tok := fx.token
		if g.chance(0.3) {
			tok = fx.memberToken
		}
		req.hdr = append(req.hdr, "Authorization", "Bearer "+tok)
		req.note, valid = "bearer", true
	case x < 0.6:
		req.hdr = append(req.hdr, "Authorization", "Bearer "+g.pick("forged", "x."+fx.token[1:], ""))
		req.note = "forged bearer"
	case x < 0.72:
		req.note = "anonymous"
	case x < 0.8:
		req.hdr = append(req.hdr, "Authorization", "Bearer "+g.pick("", " ", "null", fx.token+"x", eightKiB("A"), "a b c", string([]byte{0xff, 0xfe})))
		req.note = "forged bearer"
	case x < 0.86:
		req.hdr = append(req.hdr, "Authorization", g.pick("Basic YWRtaW46YWRtaW4=", "Token "+fx.token, "bearer", "Bearer", "Digest x"))
		req.note = "other scheme"
	case x < 0.93 || !mayAuth:
		tok := g.pick("forged", strings.Repeat("z", 4000), "a;b")
		if mayAuth && g.chance(0.5) {
			tok, valid = fx.token, true
		}
		req.hdr = append(req.hdr, "Cookie", "sessionid="+tok, "Origin", g.pick("https://evil.example", "null", "http://localhost"))
		req.note = "cookie"
	default:
		req.hdr = append(req.hdr, "Authorization", "Bearer "+fx.token, "Cookie", "sessionid="+fx.token)
		req.note, valid = "bearer and cookie", true
	}

	// Path: real IDs most of the time, so the request reaches the handler.
	// With a valid session, member changes only ever target the owner, who
	// stays the last owner (409 or a no-op), never the member.
	path := op.path
	for _, name := range []string{"id", "user_id"} {
		ph := "{" + name + "}"
		if !strings.Contains(path, ph) {
			continue
		}
		var v string
		switch {
		case g.chance(0.35):
			v = g.pick(hostileIDs...)
		case name == "user_id" && valid:
			v = strconv.FormatInt(fx.userID, 10)
		case name == "user_id":
			v = strconv.FormatInt(g.pick64(fx.memberID, fx.userID), 10)
		case strings.HasPrefix(op.path, "/api/v1/tasks/"):
			v = strconv.FormatInt(fx.task, 10)
		default:
			v = strconv.FormatInt(fx.project, 10)
		}
		path = strings.ReplaceAll(path, ph, v)
	}

	// Query and header parameters. A DELETE with a valid session always
	// carries a stale or forged If-Match, so it never deletes the fixture.
	q := url.Values{}
	ifMatch := false
	for _, p := range op.params {
		if p.In == "path" || !g.chance(0.6) {
			continue
		}
		v := g.paramValue(p)
		switch p.In {
		case "query":
			q.Add(p.Name, v)
			if g.chance(0.1) {
				q.Add(p.Name, g.paramValue(p)) // repeated parameter
			}
		case "header":
			if strings.EqualFold(p.Name, "If-Match") {
				if req.method == http.MethodDelete && (v == "*" || strings.Contains(v, fx.taskETag) || strings.Contains(v, fx.projETag)) {
					v = `"0-0"`
				}
				ifMatch = true
			}
			req.hdr = append(req.hdr, p.Name, v)
		}
	}
	if req.method == http.MethodDelete && !ifMatch {
		req.hdr = append(req.hdr, "If-Match", g.pick(`"0-0"`, `"1-999"`, `W/"1-1"`, "garbage", `"9223372036854775808-1"`))
	}
	if g.chance(0.1) {
		q.Add(g.pick("unknown", "limit[]", "__proto__", "cursor", "limit"), g.hostileString())
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req.path = path

	// Big and odd headers.
	if g.chance(0.1) {
		req.hdr = append(req.hdr, g.pick("X-Junk", "Accept-Language", "X-Request-ID", "X-Forwarded-For", "X-Forwarded-Proto", "Referer", "User-Agent"),
			eightKiB(g.pick("a", "é", ",", "*;q=0.9,")))
	}
	if g.chance(0.1) {
		req.hdr = append(req.hdr, "Accept-Language", g.pick("*", "xx", "en;q=abc", "de-DE,de;q=0.9,fr;q=1e9", "'; DROP", string([]byte{0xff})))
	}
	if g.chance(0.05) {
		req.hdr = append(req.hdr, "Accept", g.pick("text/html", "application/xml", "*/*;q=0", "nonsense"))
	}

	// Body.
	if op.body != nil || g.chance(0.05) {
		req.body = g.body(op.body, &req)
		if g.chance(0.1) {
			req.hdr = append(req.hdr, "Content-Type", g.pick("text/plain", "application/x-www-form-urlencoded",
				"multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json;;", "", "application/jsonp", "APPLICATION/JSON"))
		}
	}
	for i := 1; i < len(req.hdr); i += 2 {
		req.hdr[i] = headerSafe(req.hdr[i])
	}
	return req
}

// eightKiB repeats s to 8 KiB.
func eightKiB(s string) string { return strings.Repeat(s, 8192/len(s)) }

// headerSafe replaces the control characters no HTTP client can send in a
// header value (the Go client refuses them) and keeps every other byte,
// invalid UTF-8 included.
func headerSafe(v string) string {
	b := []byte(v)
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b[i] = '?'
		}
	}
	return string(b)
}

func (g *hostileGen) pick64(xs ...int64) int64 { return xs[g.rng.IntN(len(xs))] }

// paramValue is a value for a query or header parameter, valid or not.
func (g *hostileGen) paramValue(p *openapi3.Parameter) string {
	fx := g.fx
	if !g.chance(0.7) {
		return g.hostileString()
	}
	switch strings.ToLower(p.Name) {
	case "cursor":
		real := g.pick(fx.taskCursor, fx.projCurs, fx.commentCursor)
		switch g.rng.IntN(6) {
		case 0:
			return real
		case 1: // one character changed
			b := []byte(real)
			i := g.rng.IntN(len(b))
			b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[g.rng.IntN(64)]
			return string(b)
		case 2:
			return real[:g.rng.IntN(len(real))]
		case 3:
			return real + real
		case 4:
			return g.pick("eyJpZCI6OTIyMzM3MjAzNjg1NDc3NTgwN30", "AAAA", "====", "null", strings.Repeat("A", 600), "e30.e30")
		default:
			return real[:len(real)/2] + "." + real[len(real)/2:]
		}
	case "limit":
		return g.pick("-1", "0", "101", "100", "1", "9223372036854775808", "1e2", "abc", "", "50.5", " 5")
	case "assignee_id":
		return g.pick(hostileIDs...)
	case "order", "status", "priority":
		if len(p.Schema.Value.Enum) > 0 && g.chance(0.4) {
			return fmt.Sprint(p.Schema.Value.Enum[g.rng.IntN(len(p.Schema.Value.Enum))])
		}
		return g.pick("created_at", "-due_date", "DONE", "todo ", "priority; DROP", "urgent,low", "")
	case "due_before":
		return g.pick("2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "2026-1-1", "yesterday", "2026-05-01T00:00:00Z")
	case "q":
		return g.pick(fragments...)
	case "if-match", "if-none-match":
		return g.pick(fx.taskETag, fx.projETag, "*", `"1-999"`, `W/"1-1"`, `"9223372036854775808-1"`, `"-1--1"`, `"abc"`,
			`"`, `"a", "b"`, fx.taskETag+", *", strings.Repeat(`"1-1", `, 1200), "unquoted")
	case "idempotency-key":
		return g.pick("k", strings.Repeat("k", 256), strings.Repeat("k", 255), "é", string([]byte{0xff}), "key with spaces", fmt.Sprint(g.rng.Uint64()))
	}
	return g.hostileString()
}

// body is a request body: a valid one from the schema, then broken.
func (g *hostileGen) body(s *openapi3.Schema, req *hostileRequest) []byte {
	valid := map[string]any{}
	if s != nil {
		for name, ref := range s.Properties {
			if g.chance(0.7) || contains(s.Required, name) {
				valid[name] = g.validValue(name, ref.Value)
			}
		}
	}
	names := make([]string, 0, len(valid))
	for n := range valid {
		names = append(names, n)
	}
	sort.Strings(names)
	field := ""
	if len(names) > 0 {
		field = names[g.rng.IntN(len(names))]
	}
	enc := func(v any) []byte { b, _ := json.Marshal(v); return b }
	switch k := g.rng.IntN(16); k {
	case 0: // SQL and script fragments in every string field
		for n, v := range valid {
			if _, ok := v.(string); ok {
				valid[n] = g.pick(fragments...)
			}
		}
		req.note += ", fragments"
		return enc(valid)
	case 1: // wrong type
		if field != "" {
			valid[field] = []any{nil, true, 1.5, -1, []any{"x"}, map[string]any{"a": 1}, "1", 9.3e300}[g.rng.IntN(8)]
		}
		req.note += ", wrong type"
		return enc(valid)
	case 2: // unknown enum values, dates that do not exist
		for _, n := range []string{"status", "priority", "role", "language"} {
			if _, ok := valid[n]; ok || g.chance(0.3) {
				valid[n] = g.pick("DONE", "blocked", "admin", "superuser", "xx", "en-US", "", "owner ", "Owner")
			}
		}
		if g.chance(0.5) {
			valid["due_date"] = g.pick("2026-02-30", "2026-13-01", "0000-00-00", "10000-01-01", "2026-05-01T00:00:00Z")
		}
		req.note += ", enums"
		return enc(valid)
	case 3: // integer extremes
		raw := enc(valid)
		n := g.pick("9223372036854775808", "-1", "0", "18446744073709551616", "1e400", "-0", "1.0", "1e2", "9223372036854775807")
		req.note += ", int extremes"
		return append(raw[:len(raw)-1], []byte(jsonSep(raw)+`"assignee_id":`+n+`}`)...)
	case 4: // duplicate keys
		raw := enc(valid)
		dup := field
		if dup == "" {
			dup = "title"
		}
		req.note += ", duplicate key"
		return append(raw[:len(raw)-1], []byte(jsonSep(raw)+strconv.Quote(dup)+`:"again"}`)...)
	case 5: // truncated JSON
		raw := enc(valid)
		req.note += ", truncated"
		return raw[:g.rng.IntN(len(raw))]
	case 6: // random bytes
		b := make([]byte, g.rng.IntN(300))
		for i := range b {
			b[i] = byte(g.rng.UintN(256))
		}
		req.note += ", random bytes"
		return b
	case 7: // invalid UTF-8 inside a string
		raw := enc(valid)
		req.note += ", invalid UTF-8"
		f := field
		if f == "" {
			f = "name"
		}
		return append(raw[:len(raw)-1], []byte(jsonSep(raw)+strconv.Quote(f)+":\"a\xff\xfe\xc3(b\"}")...)
	case 8: // 1 MiB + 1
		if !g.chance(0.3) {
			return enc(valid)
		}
		req.note += ", 1 MiB + 1"
		prefix, suffix := `{"title":"`, `"}`
		return []byte(prefix + strings.Repeat("a", 1<<20+1-len(prefix)-len(suffix)) + suffix)
	case 9: // deep nesting
		d := 1 + g.rng.IntN(20000)
		req.note += ", deep nesting"
		return []byte(strings.Repeat(`{"a":[`, d) + strings.Repeat(`]}`, d))
	case 10: // unknown field
		valid[g.pick("is_staff", "id", "owner_id", "version", "__proto__", "Title", "project_id", "completed_at")] = g.pick("1", "true")
		req.note += ", unknown field"
		return enc(valid)
	case 11: // not an object
		req.note += ", not an object"
		return []byte(g.pick("null", "[]", `"x"`, "1", "true", "[{}]", `{"a":1}{"b":2}`, "{}  x", "\ufeff{}", "{,}", "{'a':1}"))
	case 12: // empty
		req.note += ", empty"
		return []byte{}
	case 13: // too long strings
		if field != "" {
			valid[field] = strings.Repeat(g.pick("x", "é", "😀"), 10_001)
		}
		req.note += ", too long"
		return enc(valid)
	case 14: // escapes: NUL, lone surrogates, overlong
		f := field
		if f == "" {
			f = "title"
		}
		req.note += ", escapes"
		raw := enc(valid)
		return append(raw[:len(raw)-1], []byte(jsonSep(raw)+strconv.Quote(f)+`:"`+g.pick(`\u0000`, `\ud800`, `\udfff\ud800`, `\u202e`, `\x41`, `\`)+`"}`)...)
	default:
		req.note += ", valid shape"
		return enc(valid)
	}
}

// jsonSep is "," when the JSON object raw has members, else "".
func jsonSep(raw []byte) string {
	if len(raw) > 2 {
		return ","
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// validValue is a plausible value for a schema property.
func (g *hostileGen) validValue(name string, s *openapi3.Schema) any {
	if s == nil {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[g.rng.IntN(len(s.Enum))]
	}
	switch {
	case s.Type.Includes("integer"):
		if name == "assignee_id" && g.chance(0.5) {
			return g.fx.memberID
		}
		return g.rng.Int64N(1000)
	case s.Type.Includes("boolean"):
		return g.chance(0.5)
	case s.Type.Includes("string"):
		switch {
		case s.Format == "date":
			return "2026-05-01"
		case name == "email":
			return fmt.Sprintf("h%d@example.com", g.rng.Uint32())
		case strings.Contains(name, "password"):
			// Never the fixture's real password: a password change would
			// revoke the member's session.
			return g.pick("correct horse battery stable", "short", "12345678", "password")
		}
		return g.pick("plain", "Ünïcödé", "a")
	}
	return nil
}
