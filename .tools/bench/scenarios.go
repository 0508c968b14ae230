package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenario keys, used in flags, JSON and the targets.
const (
	scGetTask   = "get_task"
	scListTasks = "list_tasks"
	scPostTask  = "post_task"
	scPatchTask = "patch_task"
	scGetMe     = "get_me"
	scMix       = "mix"
	scLogin     = "login"
	scStorm     = "login_storm"
)

// allScenarios is the default order: reads first, then writes, then
// login, whose sessions and hashing cost would otherwise colour the rest.
var allScenarios = []string{scGetTask, scListTasks, scGetMe, scPatchTask, scPostTask, scMix, scLogin, scStorm}

// quickScenarios are what --quick re-measures: the read-path targets, the
// writes and the mix, without the slow login scenarios.
var quickScenarios = []string{scGetTask, scListTasks, scGetMe, scPatchTask, scPostTask, scMix}

// scenarioTitles are the table's names for the scenarios.
var scenarioTitles = map[string]string{
	scGetTask:   "GET one task",
	scListTasks: "GET task list (50)",
	scPostTask:  "POST a task",
	scPatchTask: "PATCH a task (If-Match)",
	scGetMe:     "GET /api/v1/me",
	scMix:       "standard mix (80 % GET task, 10 % list, 5 % POST, 5 % PATCH)",
	scLogin:     "POST login",
	scStorm:     "GET one task during a login storm",
}

// scenario is one kind of request the bench drives.
type scenario struct {
	key  string
	want int // the success status; anything else is an error
	// wantPost, when set, is the success status of POSTs (the mix
	// combines scenarios with different ones).
	wantPost int
	// targeter returns the next request; it must be safe for concurrent use
	// (vegeta's workers call it in parallel).
	targeter vegeta.Targeter
	// observe sees every result in arrival order (may be nil).
	observe func(*vegeta.Result)
}

// scenarioSet builds the scenarios over a seeded fixture.
type scenarioSet struct {
	base string
	fx   *fixture
	auth http.Header
	json http.Header
	pool *etagPool
}

func newScenarioSet(base string, fx *fixture, refresh func(ctx context.Context, id int64) (string, error)) *scenarioSet {
	auth := http.Header{"Authorization": {"Bearer " + fx.User.Token}}
	jsonAuth := auth.Clone()
	jsonAuth.Set("Content-Type", "application/json")
	return &scenarioSet{base: base, fx: fx, auth: auth, json: jsonAuth, pool: newETagPool(base, fx.Tasks, refresh)}
}

func (s *scenarioSet) get(key string) (scenario, error) {
	switch key {
	case scGetTask:
		return s.getTask(), nil
	case scListTasks:
		return s.fixedGet(scListTasks, s.base+listPath(s.fx.ProjectID, 50, "")), nil
	case scGetMe:
		return s.fixedGet(scGetMe, s.base+"/api/v1/me"), nil
	case scPostTask:
		return postScenario(key, s.base+"/api/v1/projects/"+strconv.FormatInt(s.fx.ProjectID, 10)+"/tasks", s.json), nil
	case scPatchTask:
		return s.pool.scenario(s.json), nil
	case scMix:
		return s.mix(), nil
	case scStorm:
		return s.getTask(), nil
	case scLogin:
		body, err := json.Marshal(map[string]string{"email": s.fx.User.Email, "password": s.fx.User.Password})
		if err != nil {
			return scenario{}, err
		}
		hdr := http.Header{"Content-Type": {"application/json"}}
		url := s.base + "/api/v1/auth/login"
		return scenario{key: key, want: http.StatusOK, targeter: func(t *vegeta.Target) error {
			*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: body, Header: hdr}
			return nil
		}}, nil
	}
	return scenario{}, fmt.Errorf("unknown scenario %q", key)
}

// postBody is the task every POST scenario (and the INSERT ceiling) sends.
var postBody = []byte(`{"title":"Bench POST","description":"Created under load.","priority":"high"}`)

// postScenario POSTs postBody to url, expecting 201.
func postScenario(key, url string, hdr http.Header) scenario {
	return scenario{key: key, want: http.StatusCreated, targeter: func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: postBody, Header: hdr}
		return nil
	}}
}

// rotatingGet GETs urls in turn, expecting 200.
func rotatingGet(key string, urls []string, hdr http.Header) scenario {
	var n atomic.Uint64
	return scenario{key: key, want: http.StatusOK, targeter: func(t *vegeta.Target) error {
		i := (n.Add(1) - 1) % uint64(len(urls))
		*t = vegeta.Target{Method: http.MethodGet, URL: urls[i], Header: hdr}
		return nil
	}}
}

// taskURLs are the GET URLs of every seeded task.
func (s *scenarioSet) taskURLs() []string {
	urls := make([]string, len(s.fx.Tasks))
	for i, t := range s.fx.Tasks {
		urls[i] = s.base + "/api/v1/tasks/" + strconv.FormatInt(t.ID, 10)
	}
	return urls
}

// getTask rotates over every seeded task, so the cache sees the whole set
// rather than one hot key.
func (s *scenarioSet) getTask() scenario {
	return rotatingGet(scGetTask, s.taskURLs(), s.auth)
}

// fixedGet is a GET of one URL, over and over.
func (s *scenarioSet) fixedGet(key, url string) scenario {
	return rotatingGet(key, []string{url}, s.auth)
}

// mixSlots is the standard mix as a repeating sequence of 20 requests:
// 16 GET one task (80 %), 2 list pages (10 %), 1 POST (5 %), 1 PATCH (5 %).
// A fixed interleaving rather than random draws, so two runs send the
// same requests in the same proportions.
var mixSlots = [20]string{
	scGetTask, scGetTask, scGetTask, scGetTask, scListTasks, scGetTask, scGetTask, scGetTask, scGetTask, scPostTask,
	scGetTask, scGetTask, scGetTask, scGetTask, scListTasks, scGetTask, scGetTask, scGetTask, scGetTask, scPatchTask,
}

// mix is the standard mix of issue 11 over the same fixture.
func (s *scenarioSet) mix() scenario {
	get, list := s.getTask(), s.fixedGet(scListTasks, s.base+listPath(s.fx.ProjectID, 50, ""))
	post := postScenario(scPostTask, s.base+"/api/v1/projects/"+strconv.FormatInt(s.fx.ProjectID, 10)+"/tasks", s.json)
	patch := s.pool.scenario(s.json)
	by := map[string]vegeta.Targeter{scGetTask: get.targeter, scListTasks: list.targeter, scPostTask: post.targeter, scPatchTask: patch.targeter}
	var n atomic.Uint64
	return scenario{key: scMix, want: http.StatusOK, wantPost: http.StatusCreated, targeter: func(t *vegeta.Target) error {
		return by[mixSlots[(n.Add(1)-1)%uint64(len(mixSlots))]](t)
	}, observe: func(r *vegeta.Result) {
		if r.Method == http.MethodPatch {
			s.pool.observe(r)
		}
	}}
}

// errPoolDry stops a PATCH run whose tasks are all in flight or lost; it
// can only happen when nearly every PATCH fails.
var errPoolDry = errors.New("no task with a known ETag left to PATCH")

// maxRefreshes bounds the re-reads of a task after a failed PATCH, so a
// server failing every write cannot turn the result loop into a crawl.
const maxRefreshes = 200

// etagPool hands out tasks with their current ETag for PATCH with
// If-Match. A task is out of the pool while its PATCH is in flight and
// comes back with the ETag of the response, so no two PATCHes race on one
// task and a 412 means the server really refused a current ETag.
type etagPool struct {
	idle      chan task
	mu        sync.Mutex
	inFlight  map[string]task // by request URL; one PATCH per task at a time
	refresh   func(ctx context.Context, id int64) (string, error)
	refreshes int
	lost      int // tasks dropped after a failed PATCH and failed refresh
	edits     atomic.Uint64
	base      string
}

func newETagPool(base string, tasks []task, refresh func(ctx context.Context, id int64) (string, error)) *etagPool {
	p := &etagPool{idle: make(chan task, len(tasks)), inFlight: map[string]task{}, refresh: refresh, base: base}
	for _, t := range tasks {
		if t.ETag != "" {
			p.idle <- t
		}
	}
	return p
}

func (p *etagPool) url(id int64) string { return p.base + "/api/v1/tasks/" + strconv.FormatInt(id, 10) }

func (p *etagPool) scenario(jsonHdr http.Header) scenario {
	return scenario{key: scPatchTask, want: http.StatusOK, targeter: func(t *vegeta.Target) error {
		var tk task
		select {
		case tk = <-p.idle:
		case <-time.After(10 * time.Second):
			return errPoolDry
		}
		u := p.url(tk.ID)
		p.mu.Lock()
		p.inFlight[u] = tk
		p.mu.Unlock()
		hdr := jsonHdr.Clone()
		hdr.Set("If-Match", tk.ETag)
		body := fmt.Appendf(nil, `{"title":"Bench task %d edit %d"}`, tk.ID, p.edits.Add(1))
		*t = vegeta.Target{Method: http.MethodPatch, URL: u, Body: body, Header: hdr}
		return nil
	}, observe: p.observe}
}

// observe returns the task of a finished PATCH to the pool with its new
// ETag; after a failure it re-reads the task, because the failed request
// may or may not have changed it.
func (p *etagPool) observe(r *vegeta.Result) {
	p.mu.Lock()
	tk, ok := p.inFlight[r.URL]
	delete(p.inFlight, r.URL)
	p.mu.Unlock()
	if !ok {
		return
	}
	if tag := r.Headers.Get("ETag"); r.Code == http.StatusOK && tag != "" {
		tk.ETag = tag
		p.idle <- tk
		return
	}
	if p.refreshes >= maxRefreshes {
		p.lost++
		return
	}
	p.refreshes++
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tag, err := p.refresh(ctx, tk.ID)
	if err != nil || tag == "" {
		p.lost++
		return
	}
	tk.ETag = tag
	p.idle <- tk
}

// takeRefreshes reports and resets the re-reads done since the last call:
// they are extra GETs the server served during the run.
func (p *etagPool) takeRefreshes() (refreshes, lost int) {
	refreshes, lost = p.refreshes, p.lost
	p.refreshes, p.lost = 0, 0
	return refreshes, lost
}
