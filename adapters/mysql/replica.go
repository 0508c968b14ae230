package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/ports"
)

// ReplicaConfig is how the read replica is used.
type ReplicaConfig struct {
	// MaxLag is the replication lag above which reads go to the primary
	// (ONIT_MYSQL_REPLICA_MAX_LAG).
	MaxLag time.Duration
	// Poll is how often the lag is read from the replica.
	Poll time.Duration
}

// ReplicaStatus is the replica as the router last saw it.
type ReplicaStatus struct {
	Configured bool
	Up         bool          // answered the last lag reading and replicates
	Lag        time.Duration // replication lag the replica reported
	Usable     bool          // up and lag within MaxLag: lag-tolerant reads go there
	Err        error         // why it is not up
	CheckedAt  time.Time
}

// ReadRouter chooses, per query, the pool of a read that tolerates lag
// (lists): the replica while it answers and its lag is within MaxLag,
// the primary otherwise, and always the primary when the context asks
// for it (ports.WithPrimaryReads: the caller has just written). Writes,
// locking reads, sessions, users, idempotency records and the reads that
// refill caches never come here: their repositories use the primary pool
// only.
//
// A replica read that fails for any reason but the caller's context marks
// the replica down until the next lag reading and runs again on the
// primary, so a replica that stops costs no failed request.
type ReadRouter struct {
	primary *bun.DB
	replica *bun.DB // nil: no replica configured
	cfg     ReplicaConfig
	log     *slog.Logger

	mu     sync.Mutex
	status ReplicaStatus

	// Reads served by each pool, for metrics.
	replicaReads, primaryReads, fallbacks atomic.Int64
}

// NewReadRouter returns a router over the primary pool and the replica
// pool (nil when none is configured). Lag is read by Run; until its first
// reading the replica is not used.
func NewReadRouter(primary, replica *bun.DB, cfg ReplicaConfig, log *slog.Logger) *ReadRouter {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &ReadRouter{primary: primary, replica: replica, cfg: cfg, log: log}
	r.status = ReplicaStatus{Configured: replica != nil, Err: errors.New("not read yet")}
	return r
}

// Run reads the replica's lag every Poll until ctx ends. Without a replica
// it returns at once.
func (r *ReadRouter) Run(ctx context.Context) {
	if r.replica == nil {
		return
	}
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		r.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll takes one lag reading and updates the status, logging when the
// replica becomes usable or stops being so.
func (r *ReadRouter) Poll(ctx context.Context) ReplicaStatus {
	if r.replica == nil {
		return ReplicaStatus{}
	}
	ctx, cancel := context.WithTimeout(ctx, max(r.cfg.Poll, time.Second))
	defer cancel()
	lag, err := ReplicationLag(ctx, r.replica)
	st := ReplicaStatus{Configured: true, Up: err == nil, Lag: lag, Err: err, CheckedAt: time.Now()}
	st.Usable = st.Up && lag <= r.cfg.MaxLag
	r.mu.Lock()
	was := r.status.Usable
	// A reason not seen at the last reading is logged once, so a replica
	// never used (a missing privilege) says why.
	newReason := err != nil && (r.status.Err == nil || r.status.Err.Error() != err.Error())
	r.status = st
	r.mu.Unlock()
	switch {
	case !was && newReason:
		r.log.Warn("read replica not in use, reads go to the primary", "err", err)
	case was && !st.Usable && err != nil:
		r.log.Warn("read replica down, reads go to the primary", "err", err)
	case was && !st.Usable:
		r.log.Warn("read replica lagging, reads go to the primary", "lag_ms", lag.Milliseconds(), "max_lag_ms", r.cfg.MaxLag.Milliseconds())
	case !was && st.Usable:
		r.log.Info("read replica in use", "lag_ms", lag.Milliseconds())
	}
	return st
}

// Status is the last reading.
func (r *ReadRouter) Status() ReplicaStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Reads returns how many lag-tolerant reads each pool served, and how many
// fell back from the replica to the primary after a replica error.
func (r *ReadRouter) Reads() (replica, primary, fallbacks int64) {
	return r.replicaReads.Load(), r.primaryReads.Load(), r.fallbacks.Load()
}

// markDown records a replica failure seen by a query, so the next reads
// go to the primary without trying the replica first.
func (r *ReadRouter) markDown(err error) {
	r.mu.Lock()
	was := r.status.Usable
	r.status.Up, r.status.Usable, r.status.Err = false, false, err
	r.mu.Unlock()
	if was {
		r.log.Warn("read replica failed a query, reads go to the primary", "err", err)
	}
}

// Read runs fn on the pool a lag-tolerant read should use, and again on
// the primary when the replica fails it. fn must be safe to run twice
// (reset what it scans into).
func (r *ReadRouter) Read(ctx context.Context, fn func(db bun.IDB) error) error {
	if r == nil {
		return errors.New("mysql: no read router")
	}
	if r.replica == nil || ports.PrimaryReads(ctx) || !r.Status().Usable {
		r.primaryReads.Add(1)
		return fn(r.primary)
	}
	err := fn(r.replica)
	if err == nil || ctx.Err() != nil || errors.Is(err, sql.ErrNoRows) {
		r.replicaReads.Add(1)
		return err
	}
	r.markDown(err)
	r.fallbacks.Add(1)
	r.primaryReads.Add(1)
	return fn(r.primary)
}

// readOn runs a lag-tolerant read through rr, or on db when the repository
// has no router (inside a transaction, in commands, in tests).
func readOn(ctx context.Context, rr *ReadRouter, db bun.IDB, fn func(db bun.IDB) error) error {
	if rr == nil {
		return fn(db)
	}
	return rr.Read(ctx, fn)
}

// ErrNotReplica is ReplicationLag's error for a server that reports no
// replication.
var ErrNotReplica = errors.New("the server does not replicate from a primary")

// notReplicating judges a server without binlog replication: a read-only
// one is an Aurora replica (storage-level replication, no replica status,
// lag typically under 100 ms) and counts as lag 0; a writable one is not
// a replica at all (a DSN pointing at the writer) and is not used.
func notReplicating(ctx context.Context, db *bun.DB) error {
	var ro, innoRO int
	if err := db.QueryRowContext(ctx, "SELECT @@global.read_only, @@global.innodb_read_only").Scan(&ro, &innoRO); err != nil {
		return err
	}
	if ro == 1 || innoRO == 1 {
		return nil
	}
	return ErrNotReplica
}

// ReplicationLag reads the lag the replica reports about itself.
//
// MySQL 8.0.22+ and MariaDB 10.5.1+ both answer SHOW REPLICA STATUS; older
// MySQL 8.0 only SHOW SLAVE STATUS, which is tried when the first is a
// syntax error. The lag column is Seconds_Behind_Source on MySQL 8.0.22+
// and Seconds_Behind_Master on MariaDB (and older MySQL); NULL in either
// means replication is stopped or broken, which counts as down. The user
// needs REPLICATION CLIENT on MySQL, REPLICA MONITOR on MariaDB 10.5.9+
// (RDS's master user has it).
func ReplicationLag(ctx context.Context, db *bun.DB) (time.Duration, error) {
	rows, err := db.QueryContext(ctx, "SHOW REPLICA STATUS")
	if me, ok := mysqlError(err); ok && me.Number == 1064 {
		rows, err = db.QueryContext(ctx, "SHOW SLAVE STATUS")
	}
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, notReplicating(ctx, db)
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, err
	}
	for i, c := range cols {
		if !strings.EqualFold(c, "Seconds_Behind_Source") && !strings.EqualFold(c, "Seconds_Behind_Master") {
			continue
		}
		if vals[i] == nil {
			return 0, errors.New("replication is stopped (no lag reported)")
		}
		d, err := time.ParseDuration(string(vals[i]) + "s")
		if err != nil {
			return 0, err
		}
		return d, nil
	}
	return 0, errors.New("no Seconds_Behind_Source or Seconds_Behind_Master column")
}

// ReadingFrom sends the repository's lists through rr (pool repositories
// only: inside a transaction every read belongs to it).
func (r *TaskRepository) ReadingFrom(rr *ReadRouter) *TaskRepository { r.rr = rr; return r }

// ReadingFrom sends the repository's lists through rr.
func (r *ProjectRepository) ReadingFrom(rr *ReadRouter) *ProjectRepository { r.rr = rr; return r }

// ReadingFrom sends the repository's lists through rr.
func (r *CommentRepository) ReadingFrom(rr *ReadRouter) *CommentRepository { r.rr = rr; return r }

// ReadingFrom sends the repository's lists through rr.
func (r *MemberRepository) ReadingFrom(rr *ReadRouter) *MemberRepository { r.rr = rr; return r }

// ReplicaState is the last reading, for metrics (metrics.ReplicaSource).
func (r *ReadRouter) ReplicaState() (up, usable bool, lag time.Duration) {
	st := r.Status()
	return st.Up, st.Usable, st.Lag
}

// Configured reports whether a replica is configured.
func (r *ReadRouter) Configured() bool { return r.replica != nil }

// Replica is the replica's pool, nil when none is configured.
func (r *ReadRouter) Replica() *bun.DB { return r.replica }

// Name implements the /readyz check: the replica is reported, never
// required (httpapi.Checker).
func (r *ReadRouter) Name() string { return "mysql_replica" }

// Ping implements httpapi.Checker and never fails: without the replica the
// primary serves its reads, so it is no reason to take the instance out of
// the load balancer. Detail says how it is.
func (r *ReadRouter) Ping(context.Context) error { return nil }

// Detail is the replica's state for /readyz.
func (r *ReadRouter) Detail() string {
	st := r.Status()
	switch {
	case st.Usable:
		return fmt.Sprintf("ok, lag %s", st.Lag)
	case st.Up:
		return fmt.Sprintf("lagging %s (above %s): the primary serves reads", st.Lag, r.cfg.MaxLag)
	default:
		return "down: the primary serves reads"
	}
}
