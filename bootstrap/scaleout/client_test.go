package scaleout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hang is the longest any request may take before the test calls it hung:
// the server's request timeout is 10 s.
const hang = 15 * time.Second

const password = "correct horse battery staple"

// api is a JSON client of one instance or of the load balancer.
type api struct {
	base, name string
	hc         *http.Client
}

func newAPI(base, name string) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	return &api{base: base, name: name, hc: &http.Client{Transport: tr}}
}

// result is one finished exchange, or the transport error that ended it.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
	dur    time.Duration
	end    time.Time
}

// retried says whether nginx tried more than one instance for the
// request: its X-Onit-Upstream lists every address it tried.
func (r result) retried() bool {
	return strings.Contains(r.header.Get("X-Onit-Upstream"), ",")
}

func (r result) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("%d %.200s", r.status, r.body)
}

// call sends one request; body is JSON-encoded unless nil, hdr are
// name/value pairs.
func (a *api) call(method, path string, body any, hdr ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return result{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return result{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	start := time.Now()
	resp, err := a.hc.Do(req)
	if err != nil {
		return result{err: err, dur: time.Since(start), end: time.Now()}
	}
	defer resp.Body.Close()
	r := result{status: resp.StatusCode, header: resp.Header}
	r.body, r.err = io.ReadAll(resp.Body)
	r.dur, r.end = time.Since(start), time.Now()
	return r
}

// must fails the test unless r has status want, and decodes the body into v.
func must(t *testing.T, what string, r result, want int, v any) {
	t.Helper()
	if r.err != nil || r.status != want {
		t.Fatalf("%s: got %v, want status %d", what, r, want)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, r.body, err)
		}
	}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// unique makes emails and titles of one run distinct from another's on a
// reused topology.
var unique atomic.Int64

func uniq(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, unique.Add(1))
}

// signUp registers a new user through a and returns its email.
func (a *api) signUp(t *testing.T, who string) string {
	t.Helper()
	email := uniq(who) + "@example.com"
	must(t, "register "+email, a.call("POST", "/api/v1/auth/register",
		map[string]any{"email": email, "password": password, "name": who}), http.StatusCreated, nil)
	return email
}

// login opens a session through a and returns its bearer token.
func (a *api) login(t *testing.T, email, pass string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	must(t, "login "+email+" on "+a.name, a.call("POST", "/api/v1/auth/login",
		map[string]any{"email": email, "password": pass}), http.StatusOK, &out)
	return out.Token
}

type idOf struct {
	ID int64 `json:"id"`
}

type taskOut struct {
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Version int64  `json:"version"`
}

func (a *api) newProject(t *testing.T, token string) int64 {
	t.Helper()
	var p idOf
	must(t, "create project", a.call("POST", "/api/v1/projects", map[string]any{"name": uniq("project")}, bearer(token)...), http.StatusCreated, &p)
	return p.ID
}

func (a *api) newTask(t *testing.T, token string, project int64, title string) taskOut {
	t.Helper()
	var task taskOut
	must(t, "create task", a.call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", project),
		map[string]any{"title": title}, bearer(token)...), http.StatusCreated, &task)
	return task
}

// listTitles is the titles of the first page of a project's tasks, and
// the raw answer.
func (a *api) listTitles(project int64, hdr ...string) (map[string]int, result) {
	r := a.call("GET", fmt.Sprintf("/api/v1/projects/%d/tasks?limit=100", project), nil, hdr...)
	if r.err != nil || r.status != http.StatusOK {
		return nil, r
	}
	var page struct {
		Items []taskOut `json:"items"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		r.err = err
		return nil, r
	}
	titles := map[string]int{}
	for _, it := range page.Items {
		titles[it.Title]++
	}
	return titles, r
}

// metric is the sum of the /metrics series named name whose labels contain
// every one of labels.
func (a *api) metric(t *testing.T, token, name string, labels ...string) float64 {
	t.Helper()
	r := a.call("GET", "/metrics", nil, bearer(token)...)
	must(t, "GET /metrics on "+a.name, r, http.StatusOK, nil)
	var sum float64
	for _, line := range strings.Split(string(r.body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// rwCookie is the onit_rw cookie a write's answer set, as a Cookie header
// value, or "".
func rwCookie(r result) string {
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "onit_rw=") {
			return strings.SplitN(c, ";", 2)[0]
		}
	}
	return ""
}
