package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// FuzzDecodeCursor: no input crashes the decoder, only cursors the codec
// signed for the same scope decode, and they decode to what was signed.
func FuzzDecodeCursor(f *testing.F) {
	c := newCursorCodec("fuzz-secret")
	const scope = "tasks?o=-created_at&p=1"
	for _, p := range []cursorPayload{{ID: 1}, {ID: 42, Micros: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()},
		{ID: 7, Date: "2030-02-28"}, {ID: 9, Priority: "urgent"}} {
		f.Add(c.encode(scope, p))
	}
	f.Add("")
	f.Add(".")
	f.Add("eyJpIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(strings.Repeat("A", 600))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := c.decode(scope, s)
		if err != nil {
			if domain.KindOf(err) != domain.KindBadRequest {
				t.Fatalf("decode error of kind %s", domain.KindOf(err))
			}
			return
		}
		if p.ID <= 0 {
			t.Fatalf("accepted a cursor with ID %d", p.ID)
		}
		if _, err := c.decode("tasks?o=due_date&p=1", s); err == nil {
			t.Fatal("a cursor decoded in another list's scope")
		}
		for _, o := range []ports.TaskOrder{ports.OrderNewest, ports.OrderDueDate, ports.OrderPriority} {
			_, _ = cursorKey(p, o)
		}
	})
}

// FuzzDecodeTaskPatch: task create and patch bodies either fail with a 400
// or 422 problem or become valid domain input; nothing panics or turns into
// an internal error.
func FuzzDecodeTaskPatch(f *testing.F) {
	for _, s := range []string{
		`{"title":"Write it","assignee_id":3,"due_date":"2030-02-28","priority":"high"}`,
		`{"status":"done"}`,
		`{"assignee_id":null,"due_date":null}`,
		`{"title":null}`,
		`{"due_date":"2026-02-30"}`,
		`{"assignee_id":99999999999999999999}`,
		`{"title":5}`,
		`{"title":"a","title":"b"}`,
		`{"colour":"red"}`,
		`[]`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var patch patchTaskReq
		if err := decodeStrict(body, &patch); err == nil {
			if _, err := patch.changes(); err != nil && domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("patch changes: %v", err)
			}
		} else if k := domain.KindOf(err); k != domain.KindBadRequest && k != domain.KindInvalid {
			t.Fatalf("patch decode: %v (kind %s)", err, k)
		}
		var create createTaskReq
		if err := decodeStrict(body, &create); err == nil {
			d, err := create.draft()
			if err != nil {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("create draft: %v", err)
				}
				return
			}
			if _, err := dp.NewTask(1, 1, d, time.Now()); err != nil && domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("NewTask: %v", err)
			}
		} else if k := domain.KindOf(err); k != domain.KindBadRequest && k != domain.KindInvalid {
			t.Fatalf("create decode: %v (kind %s)", err, k)
		}
	})
}
