package mysql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	dp "github.com/onitapp/onit/domain/projects"
)

// The ceiling's statements run against the migrated schema: a column
// renamed by a migration fails here, not in a load run.
func TestCeilingInsertAndFirstPage(t *testing.T) {
	db := mysqltest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	owner := newUser(t, db)
	p, err := dp.NewProject("ceiling", "", owner, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := adapter.NewProjectRepository(db).Create(ctx, &p); err != nil {
		t.Fatal(err)
	}
	project := p.ID

	ceil := adapter.NewCeiling(db.DB)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ids []int64
	for i := range 55 {
		id, err := ceil.Insert(ctx, project, owner, "t", "d", base.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatalf("Insert %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	page, err := ceil.FirstPage(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 50 {
		t.Fatalf("FirstPage: %d rows, want 50", len(page))
	}
	// Newest first: the last inserted leads, the five oldest are cut.
	if page[0].ID != ids[54] || page[49].ID != ids[5] {
		t.Errorf("FirstPage ids %d…%d, want %d…%d", page[0].ID, page[49].ID, ids[54], ids[5])
	}
	// The row is what Onit itself reads as a new task.
	got, err := adapter.NewTaskRepository(db).ByID(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != dp.StatusTodo || got.Priority != dp.PriorityNormal || got.DueDate != nil || got.CreatedBy != owner || got.Version != 1 {
		t.Errorf("inserted task reads back as %+v", got)
	}
	if !page[0].CreatedAt.Equal(base.Add(54*time.Second)) || page[0].ProjectID != project {
		t.Errorf("FirstPage row %+v", page[0])
	}

	if empty, err := ceil.FirstPage(ctx, project+1000); err != nil || len(empty) != 0 {
		t.Errorf("FirstPage of an unknown project = %d rows, %v", len(empty), err)
	}
	// A task in no project violates the foreign key, and says where.
	if _, err := ceil.Insert(ctx, project+1000, owner, "t", "d", base); err == nil || !strings.Contains(err.Error(), "ceiling insert") {
		t.Errorf("Insert into a missing project: %v", err)
	}
}

// Counters reads exact integers under the caller's spelling, and a name
// that is not a plain identifier never reaches the server.
func TestServerCounters(t *testing.T) {
	db := mysqltest.New(t)
	mysqltest.RequireInnoDB(t, db) // the embedded engine keeps no global status counters
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := adapter.ServerOf(db.DB)
	names := []string{"Questions", "com_select", "No_such_counter", "Ssl_cipher"}
	before, err := srv.Counters(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := before["Questions"]; !ok {
		t.Fatalf("Counters = %v, lacks Questions", before)
	}
	if _, ok := before["com_select"]; !ok {
		t.Errorf("Counters = %v, lacks com_select under the caller's spelling", before)
	}
	for _, n := range []string{"No_such_counter", "Ssl_cipher"} {
		if v, ok := before[n]; ok {
			t.Errorf("Counters[%s] = %d, want absent (unknown or not a number)", n, v)
		}
	}
	after, err := srv.Counters(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if after["Questions"] <= before["Questions"] {
		t.Errorf("Questions %d then %d: a reading is itself a statement", before["Questions"], after["Questions"])
	}
	if _, err := srv.Counters(ctx, []string{"Questions') OR ('1"}); err == nil {
		t.Error("Counters accepted a name that is not an identifier")
	}
}

// CreateDatabase and DropDatabase manage a tool's own database; names
// that would need quoting are refused.
func TestServerCreateAndDropDatabase(t *testing.T) {
	db := mysqltest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := adapter.ServerOf(db.DB)
	name := fmt.Sprintf("onit_ceiling_test_%d", time.Now().UnixNano())
	exists := func() bool {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if err := srv.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.DropDatabase(context.Background(), name) })
	if !exists() {
		t.Fatalf("%s not created", name)
	}
	if err := srv.DropDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	if exists() {
		t.Errorf("%s not dropped", name)
	}
	if err := srv.DropDatabase(ctx, name); err != nil {
		t.Errorf("dropping a missing database: %v", err)
	}
	for _, bad := range []string{"", "x`; DROP DATABASE y; --", "a-b"} {
		if err := srv.CreateDatabase(ctx, bad); err == nil {
			t.Errorf("CreateDatabase(%q) accepted", bad)
		}
	}
}
