package scaleout

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The standard mix (README "Performance", issue 11) as a repeating
// sequence of 20 requests: 16 GET one task, 2 list pages, 1 POST, 1 PATCH.
const (
	opGet   = "GET task"
	opList  = "GET list"
	opPost  = "POST task"
	opPatch = "PATCH task"
)

var mixSlots = [20]string{
	opGet, opGet, opGet, opGet, opList, opGet, opGet, opGet, opGet, opPost,
	opGet, opGet, opGet, opGet, opList, opGet, opGet, opGet, opGet, opPatch,
}

// fixture is one user's project with tasks, for the load.
type fixture struct {
	token   string
	project int64
	tasks   []int64
}

// seed creates the load's user, project and n tasks through a.
func seed(t *testing.T, a *api, n int) fixture {
	t.Helper()
	email := a.signUp(t, "loader")
	f := fixture{token: a.login(t, email, password)}
	f.project = a.newProject(t, f.token)
	for i := range n {
		f.tasks = append(f.tasks, a.newTask(t, f.token, f.project, fmt.Sprintf("seed %d", i)).ID)
	}
	return f
}

// mixLoad drives the standard mix from a fixed number of workers in a
// closed loop (each sends its next request when the last one answered)
// until stop. Every request must answer its success status: anything
// else, a transport error or a request nginx had to retry on another
// instance counts as failed.
type mixLoad struct {
	a *api
	f fixture

	slot, sent atomic.Uint64
	mu         sync.Mutex
	lat        []time.Duration
	failed     []string
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startMix(a *api, f fixture, workers int) *mixLoad {
	l := &mixLoad{a: a, f: f, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.one(w, n)
			}
		})
	}
	return l
}

func (l *mixLoad) one(worker, n int) {
	i := l.slot.Add(1) - 1
	op := mixSlots[i%uint64(len(mixSlots))]
	task := "/api/v1/tasks/" + strconv.FormatInt(l.f.tasks[int(i/uint64(len(mixSlots))+i)%len(l.f.tasks)], 10)
	var r result
	want := http.StatusOK
	switch op {
	case opGet:
		r = l.a.call("GET", task, nil, bearer(l.f.token)...)
	case opList:
		r = l.a.call("GET", fmt.Sprintf("/api/v1/projects/%d/tasks?limit=50", l.f.project), nil, bearer(l.f.token)...)
	case opPost:
		want = http.StatusCreated
		r = l.a.call("POST", fmt.Sprintf("/api/v1/projects/%d/tasks", l.f.project),
			map[string]any{"title": fmt.Sprintf("load %d-%d", worker, n)}, bearer(l.f.token)...)
	case opPatch:
		r = l.a.call("PATCH", task, map[string]any{"title": fmt.Sprintf("edited %d-%d", worker, n)}, bearer(l.f.token)...)
	}
	l.sent.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.err != nil || r.status != want:
		l.failed = append(l.failed, fmt.Sprintf("%s: %v", op, r))
	case r.retried():
		l.failed = append(l.failed, fmt.Sprintf("%s: answered only after nginx retried it on %s", op, r.header.Get("X-Onit-Upstream")))
	default:
		l.lat = append(l.lat, r.dur)
	}
}

// finish stops the workers and waits for their last requests.
func (l *mixLoad) finish() {
	close(l.stop)
	l.wg.Wait()
}

// mixStats summarises a finished load.
type mixStats struct {
	sent, ok, failed int
	p50, p99         time.Duration
	examples         []string
}

func (l *mixLoad) stats() mixStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := mixStats{sent: int(l.sent.Load()), ok: len(l.lat), failed: len(l.failed)}
	s.examples = l.failed[:min(5, len(l.failed))]
	if len(l.lat) > 0 {
		lat := slices.Clone(l.lat)
		slices.Sort(lat)
		s.p50, s.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return s
}

// okSoFar counts the requests answered successfully so far.
func (l *mixLoad) okSoFar() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lat)
}
