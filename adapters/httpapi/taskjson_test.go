package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	dp "github.com/onitapp/onit/domain/projects"
)

// taskDTO is the contract's task as encoding/json sees it: the reference
// appendTask (taskjson.go), which encodes every task response, is held to.
type taskDTO struct {
	ID          int64   `json:"id"`
	ProjectID   int64   `json:"project_id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Priority    string  `json:"priority"`
	AssigneeID  *int64  `json:"assignee_id"`
	DueDate     *string `json:"due_date"`
	CreatedBy   int64   `json:"created_by"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	CompletedAt *string `json:"completed_at"`
	Version     int64   `json:"version"`
}

func taskOut(t dp.Task) taskDTO {
	d := taskDTO{ID: t.ID, ProjectID: t.ProjectID, Title: t.Title, Description: t.Description,
		Status: string(t.Status), Priority: string(t.Priority), AssigneeID: t.AssigneeID, CreatedBy: t.CreatedBy,
		CreatedAt: timestamp(t.CreatedAt), UpdatedAt: timestamp(t.UpdatedAt), Version: t.Version}
	if t.DueDate != nil {
		s := t.DueDate.String()
		d.DueDate = &s
	}
	if t.CompletedAt != nil {
		s := timestamp(*t.CompletedAt)
		d.CompletedAt = &s
	}
	return d
}

// sampleTask fills every field, the optional ones when full is set.
func sampleTask(title, desc string, full bool) dp.Task {
	at := time.Date(2026, 12, 6, 10, 11, 12, 345678900, time.FixedZone("x", 3600))
	t := dp.Task{ID: 42, ProjectID: 7, Title: title, Description: desc, Status: dp.StatusTodo,
		Priority: dp.PriorityHigh, CreatedBy: 3, CreatedAt: at, UpdatedAt: at.Add(time.Minute), Version: 9}
	if full {
		a, d, done := int64(11), dp.Date{Year: 2031, Month: 2, Day: 3}, at.Add(time.Hour)
		t.AssigneeID, t.DueDate, t.CompletedAt = &a, &d, &done
	}
	return t
}

// The hand-written encoding is byte for byte what encoding/json makes of
// taskDTO and listDTO, the form the contract was written against.
func TestTaskJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name        string
		title, desc string
		full        bool
	}{
		{"plain", "Write the report", "", false},
		{"every field", "Write the report", "by Friday", true},
		{"quotes and backslashes", `say "hi" \ bye`, `C:\path`, true},
		{"html", "<b>bold</b> & co", "a > b", false},
		{"control characters", "tab\there\nnew\rline\b\f\x00\x1f\x7f", "", false},
		{"unicode", "naïve café 日本 🎉", "line\u2028sep\u2029para", true},
		{"invalid utf-8", "bad \xff\xfe byte", "cut \xe6\x97", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := sampleTask(tt.title, tt.desc, tt.full)
			want, _ := json.Marshal(taskOut(task))
			if got := taskJSON(task); !bytes.Equal(got, want) {
				t.Errorf("task:\n got %s\nwant %s", got, want)
			}
			next := "cursor+" + tt.title
			for _, n := range []*string{nil, &next} {
				items := []dp.Task{task, sampleTask("second", tt.desc, !tt.full)}
				want, _ := json.Marshal(listOut(items, taskOut, n))
				if got := taskListJSON(items, n); !bytes.Equal(got, want) {
					t.Errorf("list:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
	if got, want := string(taskListJSON(nil, nil)), `{"items":[],"next_cursor":null}`; got != want {
		t.Errorf("empty list %s, want %s", got, want)
	}
}

func FuzzTaskJSON(f *testing.F) {
	f.Add("title", "desc", int64(1), 2031, 2, 3, true)
	f.Add("<&>\u2028\xff", "\x00\"\\", int64(-5), 1, 1, 1, false)
	f.Fuzz(func(t *testing.T, title, desc string, id int64, year, month, day int, full bool) {
		task := sampleTask(title, desc, full)
		task.ID = id
		if full {
			task.DueDate = &dp.Date{Year: year, Month: time.Month(month), Day: day}
		}
		want, _ := json.Marshal(taskOut(task))
		if got := taskJSON(task); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

// ?pretty indents as echo's own encoder would.
func TestSendJSONPretty(t *testing.T) {
	task := sampleTask("<pretty>", "", true)
	e := echo.New()
	for _, query := range []string{"", "?pretty", "?x=1&pretty=1", "?prettyish=1"} {
		send := func(body any) string {
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/t"+query, nil), rec)
			if err := sendJSON(c, http.StatusOK, body); err != nil {
				t.Fatal(err)
			}
			return rec.Body.String()
		}
		if got, want := send(taskJSON(task)), send(taskOut(task)); got != want {
			t.Errorf("%q:\n got %s\nwant %s", query, got, want)
		}
	}
}
