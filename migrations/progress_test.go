package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onitapp/onit/migrations"
)

// Up announces each migration before it runs and reports it after, with
// the rows a data migration changed, so a long one is visibly alive.
func TestUpReportsEachMigration(t *testing.T) {
	db := open(t)
	r := runner(t, db.DB)
	ctx := context.Background()
	var events []migrations.Progress
	res, err := r.UpWithProgress(ctx, func(p migrations.Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res) < 2 || len(events) != 2*len(res) {
		t.Fatalf("%d migrations, %d events: %+v", len(res), len(events), events)
	}
	for i, m := range res {
		start, done := events[2*i], events[2*i+1]
		if start.Done || start.Version != m.Version || !done.Done || done.Version != m.Version || done.Skipped || done.Err != nil {
			t.Errorf("migration %d: events %+v then %+v", m.Version, start, done)
		}
		data := strings.HasSuffix(m.Name, ".go")
		if data && done.Rows < 0 || !data && done.Rows != -1 {
			t.Errorf("%s: rows %d (data migration: %v)", m.Name, done.Rows, data)
		}
		if !strings.HasPrefix(start.String(), "applying ") || !strings.HasPrefix(done.String(), "applied  ") {
			t.Errorf("lines read %q, %q", start.String(), done.String())
		}
	}
	// Nothing pending: no events.
	events = nil
	if res, err := r.UpWithProgress(ctx, func(p migrations.Progress) { events = append(events, p) }); err != nil || len(res) != 0 || len(events) != 0 {
		t.Errorf("second up: %v, %v, events %v", res, err, events)
	}
}
