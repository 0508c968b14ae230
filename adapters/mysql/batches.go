package mysql

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// expiredBatch bounds one DELETE of the expiry purges, so a large backlog
// never holds locks on millions of rows at once, and each statement is a
// small event for a replica to apply.
var expiredBatch int64 = 5000

// batchPause separates full batches, so a replica applying them keeps up
// and the writer's other work is not starved by one long purge.
const batchPause = 20 * time.Millisecond

// deleteInBatches deletes the rows of table matching where, at most
// expiredBatch per statement, until a statement deletes fewer, and returns
// how many. Each statement commits on its own: two runs at once (two
// instances, overlapping schedules) only share the work, and a run
// stopped half-way keeps what it deleted.
//
// Deletes name the table instead of a model: bun would alias it
// ("DELETE FROM sessions AS session_row"), which MariaDB before 11.6 and
// the embedded engine reject.
func deleteInBatches(ctx context.Context, db bun.IDB, table, where string, args ...any) (int64, error) {
	var total int64
	for {
		res, err := db.NewDelete().TableExpr(table).Where(where, args...).Limit(expiredBatch).Exec(ctx)
		if err != nil {
			return total, MapError(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, MapError(err)
		}
		total += n
		if n < expiredBatch {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, MapError(ctx.Err())
		case <-time.After(batchPause):
		}
	}
}
