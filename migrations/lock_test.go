package migrations_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/onitapp/onit/migrations"
)

// syncBuffer is a log sink safe for the waiting logger's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// holdLock takes the migration lock as another migrator would and returns
// its release.
func holdLock(ctx context.Context, t *testing.T, db *sql.DB) func() {
	t.Helper()
	l, err := lock.NewMySQLTableLocker(lock.WithTableName("goose_lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Lock(ctx, db); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			if err := l.Unlock(context.Background(), db); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// TestLockWait: a migrator behind another one's lock logs while it waits,
// proceeds when the lock is released, and gives up after its own lock
// timeout with an error naming the setting, not after a fixed time.
func TestLockWait(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("waits then applies", func(t *testing.T) {
		db := open(t)
		var logs syncBuffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		r, err := migrations.NewRunner(db.DB, log, migrations.WithLockTimeout(time.Minute), migrations.WithWaitLog(300*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		release := holdLock(ctx, t, db.DB)
		time.AfterFunc(2*time.Second, release)
		start := time.Now()
		res, err := r.Up(ctx)
		if err != nil {
			t.Fatalf("Up behind a lock released after 2 s: %v", err)
		}
		if len(res) == 0 {
			t.Fatal("Up applied nothing")
		}
		if time.Since(start) < 2*time.Second {
			t.Errorf("Up finished in %s, before the lock was released", time.Since(start))
		}
		if !strings.Contains(logs.String(), "waiting for the migration lock") {
			t.Errorf("no waiting line logged:\n%s", logs.String())
		}
	})

	t.Run("gives up after its timeout", func(t *testing.T) {
		db := open(t)
		r, err := migrations.NewRunner(db.DB, slog.New(slog.DiscardHandler), migrations.WithLockTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		holdLock(ctx, t, db.DB)
		start := time.Now()
		_, err = r.Up(ctx)
		if err == nil || !strings.Contains(err.Error(), "ONIT_MIGRATE_LOCK_TIMEOUT") {
			t.Fatalf("Up behind a held lock = %v, want an error naming ONIT_MIGRATE_LOCK_TIMEOUT", err)
		}
		if d := time.Since(start); d < time.Second || d > 20*time.Second {
			t.Errorf("gave up after %s, want about the 2 s timeout", d)
		}
	})
}
