package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// infraTxRepo smuggles the transaction to the test's function through Repos:
// it satisfies ports.UserRepository by embedding it (nil), and the test only
// ever uses its IDB.
type infraTxRepo struct {
	ports.UserRepository
	idb bun.IDB
}

func infraUoW(db *bun.DB) *adapter.UnitOfWork {
	return adapter.NewUnitOfWork(db, func(idb bun.IDB) ports.Repos {
		return ports.Repos{Users: &infraTxRepo{idb: idb}}
	})
}

func infraTx(r ports.Repos) bun.IDB { return r.Users.(*infraTxRepo).idb }

func infraInsertUser(ctx context.Context, idb bun.IDB, email string) error {
	_, err := idb.ExecContext(ctx,
		"INSERT INTO users (email, email_key, password, date_joined) VALUES (?, ?, '!', UTC_TIMESTAMP(6))", email, email)
	return err
}

func infraCountUsers(t *testing.T, db *bun.DB, email string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM users WHERE email_key = ?", email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnitOfWorkCommitAndRollback(t *testing.T) {
	db := mysqltest.New(t)
	uow := infraUoW(db)
	ctx := context.Background()
	sentinel := domain.E(domain.KindForbidden, "error.test_sentinel")
	tests := []struct {
		name     string
		fnErr    error
		wantRows int
		check    func(t *testing.T, err error)
	}{
		{"commit", nil, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"domain error rolls back and passes through", sentinel, 0, func(t *testing.T, err error) {
			if !errors.Is(err, sentinel) || domain.KindOf(err) != domain.KindForbidden {
				t.Fatalf("err = %v, want the sentinel unchanged", err)
			}
		}},
		{"plain error rolls back and becomes internal", errors.New("boom"), 0, func(t *testing.T, err error) {
			if domain.KindOf(err) != domain.KindInternal {
				t.Fatalf("err = %v, want internal", err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fmt.Sprintf("a%d@example.com", i), fmt.Sprintf("b%d@example.com", i)
			err := uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
				for _, e := range []string{a, b} {
					if err := infraInsertUser(ctx, infraTx(r), e); err != nil {
						return err
					}
				}
				return tt.fnErr
			})
			tt.check(t, err)
			if got := infraCountUsers(t, db, a) + infraCountUsers(t, db, b); got != tt.wantRows {
				t.Errorf("rows after Transact = %d, want %d", got, tt.wantRows)
			}
		})
	}
}

func TestUnitOfWorkMapsDatabaseErrors(t *testing.T) {
	db := mysqltest.New(t)
	uow := infraUoW(db)
	ctx := context.Background()
	if err := infraInsertUser(ctx, db, "taken@example.com"); err != nil {
		t.Fatal(err)
	}
	err := uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		return infraInsertUser(ctx, infraTx(r), "taken@example.com")
	})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
}

func TestUnitOfWorkIsReadCommitted(t *testing.T) {
	db := mysqltest.New(t)
	err := infraUoW(db).Transact(context.Background(), func(ctx context.Context, r ports.Repos) error {
		if lvl := infraIsolation(ctx, t, infraTx(r)); lvl != "READ-COMMITTED" {
			t.Errorf("isolation inside Transact = %s", lvl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUnitOfWorkRetries makes the function fail with a lock error a given
// number of times and checks how often it runs and what Transact returns.
func TestUnitOfWorkRetries(t *testing.T) {
	db := mysqltest.New(t)
	uow := infraUoW(db)
	deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
	lockWait := &mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}
	tests := []struct {
		name     string
		failures int
		err      error
		wantRuns int
		wantKind domain.Kind // when failing
		wantOK   bool
	}{
		{"deadlock once", 1, deadlock, 2, 0, true},
		{"lock wait twice", 2, fmt.Errorf("update: %w", lockWait), 3, 0, true},
		{"mapped deadlock is still retried", 1, adapter.MapError(deadlock), 2, 0, true},
		{"gives up after three runs", 10, deadlock, 3, domain.KindUnavailable, false},
		{"other errors are not retried", 10, &mysql.MySQLError{Number: 1064}, 1, domain.KindInternal, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("retry%d@example.com", i)
			runs := 0
			err := uow.Transact(context.Background(), func(ctx context.Context, r ports.Repos) error {
				runs++
				if err := infraInsertUser(ctx, infraTx(r), email); err != nil {
					return err // a half-done earlier run would collide here
				}
				if runs <= tt.failures {
					return tt.err
				}
				return nil
			})
			if runs != tt.wantRuns {
				t.Errorf("fn ran %d times, want %d", runs, tt.wantRuns)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if n := infraCountUsers(t, db, email); n != 1 {
					t.Errorf("rows = %d, want exactly the last run's one", n)
				}
				return
			}
			if domain.KindOf(err) != tt.wantKind {
				t.Errorf("err = %v (kind %v), want kind %v", err, domain.KindOf(err), tt.wantKind)
			}
			if n := infraCountUsers(t, db, email); n != 0 {
				t.Errorf("rows = %d after failure, want 0", n)
			}
		})
	}
}

func TestUnitOfWorkStopsRetryingWhenCancelled(t *testing.T) {
	db := mysqltest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := infraUoW(db).Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		runs++
		cancel()
		return &mysql.MySQLError{Number: 1213}
	})
	if runs != 1 || err == nil {
		t.Errorf("runs = %d, err = %v; want one run and an error", runs, err)
	}
}

// TestUnitOfWorkDeadlockRetry provokes a real InnoDB deadlock: two units of
// work update the same two rows in opposite order. InnoDB kills one; its
// Transact must retry and both must end up committed.
func TestUnitOfWorkDeadlockRetry(t *testing.T) {
	db := mysqltest.New(t)
	mysqltest.RequireInnoDB(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, e := range []string{"one@example.com", "two@example.com"} {
		if err := infraInsertUser(ctx, db, e); err != nil {
			t.Fatal(err)
		}
	}
	uow := infraUoW(db)
	var runs atomic.Int32
	locked := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	order := [2][2]string{{"one@example.com", "two@example.com"}, {"two@example.com", "one@example.com"}}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
				runs.Add(1)
				tx := infraTx(r)
				if _, err := tx.ExecContext(ctx, "UPDATE users SET name = ? WHERE email_key = ?", fmt.Sprint("tx", i), order[i][0]); err != nil {
					return err
				}
				// First run only: wait until the other holds its first row,
				// so the second updates cross.
				once[i].Do(func() {
					close(locked[i])
					select {
					case <-locked[1-i]:
					case <-ctx.Done():
					}
				})
				_, err := tx.ExecContext(ctx, "UPDATE users SET name = ? WHERE email_key = ?", fmt.Sprint("tx", i), order[i][1])
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if n := runs.Load(); n < 3 {
		t.Errorf("functions ran %d times; a deadlock victim should have run again", n)
	}
	// Both committed: the two rows carry the name of whichever ran last, the same one.
	var names []string
	if err := db.NewSelect().Table("users").Column("name").OrderExpr("id").Scan(ctx, &names); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != names[1] || names[0] == "" {
		t.Errorf("names = %v, want both rows written by the last transaction", names)
	}
}

// waitPastDeadline blocks until ctx's deadline has passed and database/sql
// has had time to roll the open transaction back from its own goroutine,
// which is what happens to a request that runs out of time inside one.
func waitPastDeadline(ctx context.Context) {
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond)
}

// requireUnavailable asserts the 503-with-Retry-After kind of a transaction
// that outlived its request's deadline.
func requireUnavailable(t *testing.T, err error) {
	t.Helper()
	e, ok := domain.As(err)
	if !ok || e.Kind != domain.KindUnavailable {
		t.Fatalf("err = %v (kind %v), want unavailable", err, domain.KindOf(err))
	}
	if e.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want > 0 so the 503 carries Retry-After", e.RetryAfter)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline in its chain", err)
	}
}

// A deadline that passes inside the transaction, after its last statement,
// makes COMMIT fail with sql.ErrTxDone: that is the request running out of
// time (503), not a bug (500).
func TestUnitOfWorkDeadlineInsideTransactionIsUnavailable(t *testing.T) {
	db := mysqltest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := infraUoW(db).Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if err := infraInsertUser(ctx, infraTx(r), "late@example.com"); err != nil {
			return err
		}
		waitPastDeadline(ctx)
		return nil
	})
	requireUnavailable(t, err)
	if n := infraCountUsers(t, db, "late@example.com"); n != 0 {
		t.Errorf("%d rows committed after the deadline, want 0", n)
	}
}
