package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/jsonquote"
	dp "github.com/onitapp/onit/domain/projects"
)

// Tasks are most of what Onit sends: a list page is 50 of them. Encoding
// them through encoding/json's reflection (and a DTO per task with its
// formatted timestamps) was 17 % of GET task list's CPU under load, so
// they are appended to a buffer field by field instead. The bytes are
// exactly those encoding/json produces for the contract's task type
// (taskDTO, in the tests); FuzzTaskJSON holds the two together.

// rawJSON is a body already encoded as one compact JSON value.
type rawJSON []byte

// taskJSON is the task's representation, encoded.
func taskJSON(t dp.Task) rawJSON { return appendTask(make([]byte, 0, 384), t) }

// taskListJSON is a page of tasks, encoded as listDTO would be.
func taskListJSON(items []dp.Task, next *string) rawJSON {
	b := make([]byte, 0, 64+len(items)*384)
	b = append(b, `{"items":[`...)
	for i, t := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTask(b, t)
	}
	b = append(b, `],"next_cursor":`...)
	b = appendOptString(b, next)
	return append(b, '}')
}

func appendTask(b []byte, t dp.Task) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"project_id":`...)
	b = strconv.AppendInt(b, t.ProjectID, 10)
	b = append(b, `,"title":`...)
	b = jsonquote.EncodingJSON(b, t.Title)
	b = append(b, `,"description":`...)
	b = jsonquote.EncodingJSON(b, t.Description)
	b = append(b, `,"status":`...)
	b = jsonquote.EncodingJSON(b, string(t.Status))
	b = append(b, `,"priority":`...)
	b = jsonquote.EncodingJSON(b, string(t.Priority))
	b = append(b, `,"assignee_id":`...)
	if t.AssigneeID != nil {
		b = strconv.AppendInt(b, *t.AssigneeID, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"due_date":`...)
	if t.DueDate != nil {
		b = append(b, '"')
		b = appendDate(b, *t.DueDate)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"created_by":`...)
	b = strconv.AppendInt(b, t.CreatedBy, 10)
	b = append(b, `,"created_at":`...)
	b = appendTimestamp(b, t.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTimestamp(b, t.UpdatedAt)
	b = append(b, `,"completed_at":`...)
	if t.CompletedAt != nil {
		b = appendTimestamp(b, *t.CompletedAt)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, t.Version, 10)
	return append(b, '}')
}

// appendTimestamp is timestamp's text as a JSON string.
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendDate is Date.String without its allocation, for the years a task
// can have; any other falls back to it.
func appendDate(b []byte, d dp.Date) []byte {
	if d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 99 {
		return append(b, d.String()...)
	}
	y, m := d.Year, int(d.Month)
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return jsonquote.EncodingJSON(b, *s)
}

// sendJSON writes body with status code as c.JSON would: a newline after
// it, and indented when the request asks for ?pretty (or the server runs
// in debug mode), in the same layout as echo's encoder.
func sendJSON(c echo.Context, code int, body any) error {
	raw, ok := body.(rawJSON)
	if !ok {
		return c.JSON(code, body)
	}
	if pretty(c) {
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return err
		}
		out.WriteByte('\n')
		return c.JSONBlob(code, out.Bytes())
	}
	return c.JSONBlob(code, append(raw, '\n'))
}

// pretty reports whether echo's c.JSON would indent: debug mode, or a
// pretty query parameter (looked for in the raw query first, so most
// requests never parse it).
func pretty(c echo.Context) bool {
	if c.Echo().Debug {
		return true
	}
	if !strings.Contains(c.Request().URL.RawQuery, "pretty") {
		return false
	}
	_, ok := c.QueryParams()["pretty"]
	return ok
}
