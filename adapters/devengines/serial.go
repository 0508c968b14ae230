//go:build devengines

package devengines

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// lockWait is how long a statement waits for the engine before failing with
// MySQL's lock wait timeout (1205), as InnoDB would after
// innodb_lock_wait_timeout. Shorter than InnoDB's 50 s so a test that waits on
// its own open transaction fails quickly.
const lockWait = 10 * time.Second

// serialHandler lets one transaction (or one autocommit statement) use the
// in-memory engine at a time. go-mysql-server's memory engine is not safe for
// concurrent writes, and its transactions copy a table on first touch and
// write the copy back on COMMIT, so two concurrent transactions on one table
// silently lose one's changes. Holding one engine-wide lock from START
// TRANSACTION to COMMIT/ROLLBACK makes every transaction serializable: the
// concurrent-update races of the repository contract tests pass for the
// right reason, and goose's lock row works. What it cannot give is InnoDB's
// lock-free reads: a plain SELECT on another connection waits for an open
// transaction (and fails with 1205 after lockWait) where InnoDB would
// answer from a snapshot.
type serialHandler struct {
	mysql.Handler
	sem  chan struct{} // capacity 1: holding the token is holding the engine
	mu   sync.Mutex
	inTx map[uint32]bool // connection id → holds the token for its transaction
}

func newSerialHandler(h mysql.Handler) *serialHandler {
	return &serialHandler{Handler: h, sem: make(chan struct{}, 1), inTx: map[uint32]bool{}}
}

func (h *serialHandler) holding(c *mysql.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inTx[c.ConnectionID]
}

func (h *serialHandler) setHolding(c *mysql.Conn, v bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v {
		h.inTx[c.ConnectionID] = true
	} else {
		delete(h.inTx, c.ConnectionID)
	}
}

func (h *serialHandler) acquire(ctx context.Context) error {
	t := time.NewTimer(lockWait)
	defer t.Stop()
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return mysql.NewSQLError(mysql.ERLockWaitTimeout, mysql.SSUnknownSQLState,
			"Lock wait timeout exceeded; try restarting transaction (embedded engine: one transaction at a time)")
	}
}

func (h *serialHandler) release() { <-h.sem }

// run executes one statement under the engine lock and tracks whether the
// connection's transaction goes on holding it.
func (h *serialHandler) run(ctx context.Context, c *mysql.Conn, query string, exec func() error) error {
	held := h.holding(c)
	if !held {
		if err := h.acquire(ctx); err != nil {
			return err
		}
	}
	err := exec()
	switch kw := firstWords(query); {
	case strings.HasPrefix(kw, "START TRANSACTION") || kw == "BEGIN" || strings.HasPrefix(kw, "BEGIN WORK"):
		if err == nil || held {
			h.setHolding(c, true)
			return err
		}
	case strings.HasPrefix(kw, "COMMIT") || strings.HasPrefix(kw, "ROLLBACK"):
		if held {
			h.setHolding(c, false)
			held = false
		}
	}
	if !held {
		h.release()
	}
	return err
}

// firstWords returns the upper-cased start of a statement.
func firstWords(q string) string {
	q = strings.TrimSpace(q)
	if len(q) > 32 {
		q = q[:32]
	}
	return strings.ToUpper(strings.Join(strings.Fields(q), " "))
}

// ComQuery runs a text-protocol statement under the engine lock.
func (h *serialHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) error {
	return h.run(ctx, c, query, func() error { return h.Handler.ComQuery(ctx, c, query, cb) })
}

// ComMultiQuery runs the first statement of a multi-statement query under the lock.
func (h *serialHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) (string, error) {
	var rest string
	err := h.run(ctx, c, query, func() error {
		var err error
		rest, err = h.Handler.ComMultiQuery(ctx, c, query, cb)
		return err
	})
	return rest, err
}

// ComPrepare prepares a statement under the engine lock (analysis reads the catalog).
func (h *serialHandler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, p *mysql.PrepareData) ([]*querypb.Field, error) {
	var fields []*querypb.Field
	err := h.run(ctx, c, "", func() error {
		var err error
		fields, err = h.Handler.ComPrepare(ctx, c, query, p)
		return err
	})
	return fields, err
}

// ComStmtExecute runs a prepared statement under the engine lock.
func (h *serialHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, p *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	return h.run(ctx, c, p.PrepareStmt, func() error { return h.Handler.ComStmtExecute(ctx, c, p, cb) })
}

// ComResetConnection ends the connection's transaction, and so its hold.
func (h *serialHandler) ComResetConnection(c *mysql.Conn) error {
	err := h.Handler.ComResetConnection(c)
	h.drop(c)
	return err
}

// ConnectionClosed releases the engine if the connection died inside a
// transaction (the engine discards the transaction with the session).
func (h *serialHandler) ConnectionClosed(c *mysql.Conn) {
	h.drop(c)
	h.Handler.ConnectionClosed(c)
}

func (h *serialHandler) drop(c *mysql.Conn) {
	if h.holding(c) {
		h.setHolding(c, false)
		h.release()
	}
}
