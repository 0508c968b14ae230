package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/migrations"
)

// open returns a pool on a fresh, empty database.
func open(t *testing.T) *bun.DB {
	t.Helper()
	dsn := mysqltest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := adapter.Open(ctx, mysqltest.Settings(dsn), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func runner(t *testing.T, db *sql.DB) *migrations.Runner {
	t.Helper()
	r, err := migrations.NewRunner(db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func tableExists(t *testing.T, db *bun.DB, name string) bool {
	t.Helper()
	var n int
	err := db.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func versions(rs []migrations.Result) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Version)
	}
	return out
}

func TestUpStatusDownUp(t *testing.T) {
	db := open(t)
	r := runner(t, db.DB)
	ctx := context.Background()

	n, err := r.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("pending before up = %d, want at least 2 (00001 and the data migration 10)", n)
	}

	res, err := r.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != n {
		t.Fatalf("up applied %v, want %d migrations", versions(res), n)
	}
	if res[0].Version != 1 || res[0].Name != "00001_accounts.sql" || res[0].Direction != "up" {
		t.Errorf("first result = %+v", res[0])
	}
	for _, tbl := range []string{"users", "sessions", "goose_lock"} {
		if !tableExists(t, db, tbl) {
			t.Errorf("table %s missing after up", tbl)
		}
	}

	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Pending || s.AppliedAt.IsZero() || s.Name == "" {
			t.Errorf("after up: %+v, want applied with a name and time", s)
		}
		if d := time.Since(s.AppliedAt); d < -time.Minute || d > 10*time.Minute {
			t.Errorf("applied at %v is not now in UTC (off by %v)", s.AppliedAt, d)
		}
	}
	if n, _ := r.Pending(ctx); n != 0 {
		t.Errorf("pending after up = %d", n)
	}

	again, err := r.Up(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second up = %v, %v; want nothing to do", versions(again), err)
	}

	// Roll everything back one at a time, newest first.
	last := st[len(st)-1].Version
	down, err := r.Down(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if down.Version != last || down.Direction != "down" {
		t.Errorf("down = %+v, want version %d", down, last)
	}
	for {
		_, err := r.Down(ctx)
		if errors.Is(err, migrations.ErrNothingToRollBack) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if tableExists(t, db, "users") || tableExists(t, db, "sessions") {
		t.Error("tables left after rolling everything back")
	}
	if n, _ := r.Pending(ctx); n != len(st) {
		t.Errorf("pending after full down = %d, want %d", n, len(st))
	}

	res, err = r.Up(ctx)
	if err != nil || len(res) != len(st) {
		t.Fatalf("up after down = %v, %v", versions(res), err)
	}
}

// TestConcurrentUp runs two runners (two pools, as two processes would) at
// once and checks every migration was applied exactly once.
func TestConcurrentUp(t *testing.T) {
	dsn := mysqltest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var pools [2]*bun.DB
	for i := range pools {
		db, err := adapter.Open(ctx, mysqltest.Settings(dsn), slog.New(slog.DiscardHandler), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		pools[i] = db
	}
	var wg sync.WaitGroup
	var results [2][]migrations.Result
	var errs [2]error
	for i := range pools {
		r := runner(t, pools[i].DB)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.Up(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
	}
	applied := map[int64]int{}
	for _, rs := range results {
		for _, r := range rs {
			applied[r.Version]++
		}
	}
	st, err := runner(t, pools[0].DB).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if applied[s.Version] != 1 {
			t.Errorf("version %d applied %d times by the two runners, want once", s.Version, applied[s.Version])
		}
	}
	// The version table agrees: one row per version.
	rows, err := pools[0].QueryContext(ctx, "SELECT version_id, COUNT(*) FROM goose_db_version WHERE version_id > 0 GROUP BY version_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("goose_db_version has %d rows for version %d", n, v)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
