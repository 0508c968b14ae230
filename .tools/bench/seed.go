package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// api is a small client of Onit's public API for seeding and set-up. The
// bench seeds through the API, not SQL, so the data is exactly what users
// would create.
type api struct {
	base   string
	token  string
	client *http.Client
}

func newAPI(base string, conns int) *api {
	return &api{base: base, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
	}}
}

// close drops the keep-alive connections, so the server's goroutines for
// them are gone before the idle count is taken.
func (a *api) close() { a.client.CloseIdleConnections() }

// do sends one JSON request and decodes a JSON answer into out (when not
// nil). A status other than want is an error quoting the problem document.
func (a *api) do(ctx context.Context, method, path string, body, out any, want int) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %s (want %d): %.300s", method, path, resp.Status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// account is the bench user.
type account struct {
	Email, Password, Token string
}

// task is one seeded task and the ETag of its current version.
type task struct {
	ID   int64
	ETag string
}

// fixture is what seeding created.
type fixture struct {
	User      account
	ProjectID int64
	Tasks     []task
	SeedTime  time.Duration
}

// seed registers one user, logs in, creates a project and n tasks with
// `workers` concurrent POSTs.
func seed(ctx context.Context, a *api, n, workers int, stamp string) (*fixture, error) {
	start := time.Now()
	f := &fixture{User: account{
		Email: "bench-" + stamp + "@example.com",
		// Random and long: passes the common, numeric and similarity validators.
		Password: "bench " + randomString(24),
	}}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/auth/register",
		map[string]string{"email": f.User.Email, "password": f.User.Password, "name": "Bench User"}, nil, http.StatusCreated); err != nil {
		return nil, err
	}
	var login struct {
		Token string `json:"token"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/auth/login",
		map[string]string{"email": f.User.Email, "password": f.User.Password}, &login, http.StatusOK); err != nil {
		return nil, err
	}
	f.User.Token, a.token = login.Token, login.Token
	var project struct {
		ID int64 `json:"id"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/projects",
		map[string]string{"name": "Bench " + stamp, "description": "load harness"}, &project, http.StatusCreated); err != nil {
		return nil, err
	}
	f.ProjectID = project.ID
	tasks, err := seedTasks(ctx, a, project.ID, n, workers)
	if err != nil {
		return nil, err
	}
	f.Tasks = tasks
	f.SeedTime = time.Since(start)
	return f, nil
}

var priorities = []string{"low", "normal", "high", "urgent"}

func seedTasks(ctx context.Context, a *api, projectID int64, n, workers int) ([]task, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tasks := make([]task, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	path := "/api/v1/projects/" + strconv.FormatInt(projectID, 10) + "/tasks"
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				var created struct {
					ID int64 `json:"id"`
				}
				body := map[string]string{
					"title":       fmt.Sprintf("Bench task %d", i+1),
					"description": "Seeded by the load harness.",
					"priority":    priorities[i%len(priorities)],
				}
				h, err := a.do(ctx, http.MethodPost, path, body, &created, http.StatusCreated)
				if err != nil {
					cancel(fmt.Errorf("seed task %d: %w", i+1, err))
					return
				}
				tasks[i] = task{ID: created.ID, ETag: h.Get("ETag")}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return tasks, nil
}

// listPath is the task list of a project, one page of `limit`.
func listPath(projectID int64, limit int, cursor string) string {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return "/api/v1/projects/" + strconv.FormatInt(projectID, 10) + "/tasks?" + q.Encode()
}

// cursorOfPage walks the list to page `page` (1-based) and returns the
// cursor that fetches it, and the page actually reached when the list is
// shorter.
func cursorOfPage(ctx context.Context, a *api, projectID int64, limit, page int) (string, int, error) {
	cursor := ""
	for p := 1; p < page; p++ { // bounded by page
		var list struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		if _, err := a.do(ctx, http.MethodGet, listPath(projectID, limit, cursor), nil, &list, http.StatusOK); err != nil {
			return "", 0, err
		}
		if list.NextCursor == nil || *list.NextCursor == "" {
			return cursor, p, nil
		}
		cursor = *list.NextCursor
	}
	return cursor, page, nil
}
