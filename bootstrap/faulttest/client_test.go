package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// api is a JSON client of one onit process.
type api struct {
	base string
	hc   *http.Client
}

func newAPI(addr string) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 0}
	return &api{base: "http://" + addr, hc: &http.Client{Transport: tr}}
}

// result is one finished exchange, or the transport error that ended it.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
	start  time.Time
	dur    time.Duration
}

// call sends one request bounded by timeout (the test's "hang" limit).
// body is JSON-encoded unless nil; hdr are name/value pairs.
func (a *api) call(method, path string, body any, timeout time.Duration, hdr ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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
	r := result{start: time.Now()}
	resp, err := a.hc.Do(req)
	if err != nil {
		r.err, r.dur = err, time.Since(r.start)
		return r
	}
	defer resp.Body.Close()
	r.body, r.err = io.ReadAll(resp.Body)
	r.status, r.header, r.dur = resp.StatusCode, resp.Header, time.Since(r.start)
	return r
}

// problemError says what is wrong with r as a problem document of its
// status, or returns nil when it is a well-formed one.
func problemError(r result) error {
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("status %d with Content-Type %q, want application/problem+json: %.300s", r.status, ct, r.body)
	}
	var p struct {
		Type     string `json:"type"`
		Title    string `json:"title"`
		Status   int    `json:"status"`
		Detail   string `json:"detail"`
		Instance string `json:"instance"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		return fmt.Errorf("problem document is not JSON: %w: %.300s", err, r.body)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" || p.Instance == "" || p.Status != r.status {
		return fmt.Errorf("problem document lacks a field or has the wrong status: %.300s", r.body)
	}
	return nil
}

// must fails the test unless r has status want, and decodes the body into v.
func must(t *testing.T, what string, r result, want int, v any) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, r.body, err)
		}
	}
}

// bearer is the Authorization header pair of token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

const userPassword = "correct horse battery staple"

// signUp registers and logs in a user, returning the bearer token.
func (a *api) signUp(t *testing.T, email string) string {
	t.Helper()
	must(t, "register "+email, a.call("POST", "/api/v1/auth/register",
		map[string]any{"email": email, "password": userPassword, "name": strings.Split(email, "@")[0]}, 10*time.Second), http.StatusCreated, nil)
	return a.login(t, email)
}

func (a *api) login(t *testing.T, email string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	must(t, "login "+email, a.call("POST", "/api/v1/auth/login",
		map[string]any{"email": email, "password": userPassword}, 10*time.Second), http.StatusOK, &out)
	return out.Token
}

// idOf is an object's ID from its JSON.
type idOf struct {
	ID int64 `json:"id"`
}

func (a *api) newProject(t *testing.T, token, name string) int64 {
	t.Helper()
	var p idOf
	must(t, "create project", a.call("POST", "/api/v1/projects", map[string]any{"name": name}, 10*time.Second, bearer(token)...), http.StatusCreated, &p)
	return p.ID
}

func (a *api) newTask(t *testing.T, token string, project int64, title string) int64 {
	t.Helper()
	var task idOf
	must(t, "create task", a.call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", project),
		map[string]any{"title": title}, 10*time.Second, bearer(token)...), http.StatusCreated, &task)
	return task.ID
}

// metric reads one sample of the server's /metrics: the sum of the series
// named name whose labels contain every one of labels.
func (a *api) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	r := a.call("GET", "/metrics", nil, 10*time.Second, bearer(metricsTok)...)
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v %.300s", r.status, r.err, r.body)
	}
	var sum float64
	found := false
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
		found = true
	}
	if !found {
		t.Fatalf("/metrics has no %s%v", name, labels)
	}
	return sum
}
