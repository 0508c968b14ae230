package memory

import (
	"context"
	"sync"

	"github.com/onitapp/onit/ports"
)

// UnitOfWork is the in-memory twin of the MySQL unit of work. It runs one
// transaction at a time, and rolls back a failed one by restoring a
// snapshot of the ProjectsStore taken when it began.
//
// Serialising transactions is what makes the snapshot a rollback: with two
// running at once, restoring one's snapshot would also undo the other's
// writes. Reads outside transactions (the repositories themselves) do not
// wait. Two limits follow from the twins' layout: users and sessions live
// outside the ProjectsStore and are not rolled back (no accounts use case
// writes them in a transaction after a step that can fail), and each
// transaction copies the store's maps, so it costs time in proportion to
// the data held: fine for tests and benchmarks of reads, not a database.
type UnitOfWork struct {
	mu    sync.Mutex
	store *ProjectsStore
	repos ports.Repos
}

var _ ports.UnitOfWork = (*UnitOfWork)(nil)

// NewUnitOfWork returns a unit of work handing repos to each transaction
// and rolling back store on failure. repos should be the store's twins
// (plus the user and session repositories).
func NewUnitOfWork(store *ProjectsStore, repos ports.Repos) *UnitOfWork {
	return &UnitOfWork{store: store, repos: repos}
}

// Transact runs fn alone; when fn returns an error (or panics) every table
// of the store is put back as it was and the error returned.
func (u *UnitOfWork) Transact(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) (err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	restore := u.store.Snapshot()
	ok := false
	defer func() {
		if !ok {
			restore()
		}
	}()
	if err := fn(ctx, u.repos); err != nil {
		return err
	}
	ok = true
	return nil
}
