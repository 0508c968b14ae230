package httpapi

import (
	"fmt"
	"testing"
)

func TestProjectsHTTPPaginationWalk(t *testing.T) {
	h := newProjHarness(t)
	owner := h.user("owner")
	pid := int64(h.do("POST", "/api/v1/projects", owner, `{"name":"P"}`).json(t)["id"].(float64))
	other := int64(h.do("POST", "/api/v1/projects", owner, `{"name":"Q"}`).json(t)["id"].(float64))
	path := fmt.Sprintf("/api/v1/projects/%d/tasks", pid)
	seen := map[float64]int{}
	created := 0
	for i := range 12 {
		want(t, h.do("POST", path, owner, fmt.Sprintf(`{"title":"t%d","priority":"%s"}`, i, []string{"low", "urgent"}[i%2])), 201)
		created++
	}
	for _, order := range []string{"-created_at", "due_date", "-priority"} {
		clear(seen)
		next := path + "?limit=5&order=" + order
		pages := 0
		for next != "" && pages < 10 {
			r := h.do("GET", next, owner, "")
			want(t, r, 200)
			page := r.json(t)
			for _, it := range page["items"].([]any) {
				seen[it.(map[string]any)["id"].(float64)]++
			}
			if pages == 0 {
				// inserts during the walk land before the cursor: never seen, never shifting
				want(t, h.do("POST", path, owner, `{"title":"concurrent"}`), 201)
				created++
			}
			next = ""
			if c, ok := page["next_cursor"].(string); ok {
				next = path + "?limit=5&order=" + order + "&cursor=" + c
				if pages == 0 {
					want(t, h.do("GET", fmt.Sprintf("/api/v1/projects/%d/tasks?limit=5&order=%s&cursor=%s", other, order, c), owner, ""), 400)
					want(t, h.do("GET", path+"?limit=5&order=-priority&status=done&cursor="+c, owner, ""), 400)
				}
			}
			pages++
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s: task %v seen %d times", order, id, n)
			}
		}
		if order == "-created_at" && len(seen) != 12 {
			t.Fatalf("%s: walked %d tasks, want the 12 present at the start", order, len(seen))
		}
		if len(seen) < 12 {
			t.Fatalf("%s: walked %d tasks, want at least 12", order, len(seen))
		}
	}
}
