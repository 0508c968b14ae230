package httpapi

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
)

// An ETag names its kind, so a project's tag never satisfies If-Match on
// a task with the same id and version, and the other way round.
func TestETagsNameTheirKind(t *testing.T) {
	t.Parallel()
	if got := etag(kindTask, 7, 3); got != `"task-7-3"` {
		t.Fatalf("etag = %s", got)
	}
	tests := []struct {
		name   string
		header string
		kind   string
		want   []int64
	}{
		{"own kind matches", `"task-7-3"`, kindTask, []int64{3}},
		{"project tag on a task", `"project-7-3"`, kindTask, []int64{}},
		{"task tag on a project", `"task-7-3"`, kindProject, []int64{}},
		{"old kindless tag", `"7-3"`, kindTask, []int64{}},
		{"other id", `"task-8-3"`, kindTask, []int64{}},
		{"list with one of each", `"project-7-1", "task-7-2"`, kindTask, []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("PATCH", "/", nil)
			req.Header.Set("If-Match", tt.header)
			c := echo.New().NewContext(req, httptest.NewRecorder())
			got, err := ifMatchVersions(c, tt.kind, 7)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ifMatchVersions = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
