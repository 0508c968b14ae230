package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// InvalidationSink is what the invalidation log keeps informed: an
// instance's local caches (adapters/localcache, through a Gate).
type InvalidationSink interface {
	// Invalidate drops what an announcement names.
	Invalidate(inv ports.Invalidation)
	// Reset drops everything: announcements may have been missed.
	Reset()
	// Trust lets the sink serve its copies until the given instant.
	Trust(until time.Time)
	// Distrust stops the sink serving copies, and drops them.
	Distrust()
}

// InvalidationOptions tune the log; zero values take the defaults.
type InvalidationOptions struct {
	// PollEvery is how often each instance reads the recent rows (default
	// 250 ms: four indexed SELECTs a second per instance).
	PollEvery time.Duration
	// TrustFor is how long after the start of the last successful read the
	// local copies stay trusted (default 900 ms: "refused everywhere within
	// one second" holds even when the database stops answering silently).
	TrustFor time.Duration
	// RetryFor is how long a failed append is retried in the background
	// (default 30 s, the local session cache's TTL).
	RetryFor time.Duration
	// Keep is how long rows stay before the readers delete them (default
	// one minute; far above the lookback and any poll gap).
	Keep time.Duration
}

func (o InvalidationOptions) withDefaults() InvalidationOptions {
	if o.PollEvery <= 0 {
		o.PollEvery = 250 * time.Millisecond
	}
	if o.TrustFor <= 0 {
		o.TrustFor = 900 * time.Millisecond
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 30 * time.Second
	}
	if o.Keep <= 0 {
		o.Keep = time.Minute
	}
	return o
}

const (
	// lookback is how far back in the database's clock every read looks in
	// addition to the rows after the highest ID seen. AUTO_INCREMENT IDs
	// are taken at INSERT and become visible at COMMIT, so a row with a
	// lower ID can appear after a higher one; an autocommit INSERT of a few
	// rows commits within milliseconds, and this window absorbs any commit
	// that lags its INSERT by less than 3 s. Reading a row twice is harmless
	// (seen IDs are skipped, and an invalidation is idempotent anyway).
	lookback = 3 * time.Second
	// pollLimit bounds one read; a fuller read resets the local caches
	// instead of applying each row.
	pollLimit = 5000
	// appendBatch bounds the rows of one INSERT.
	appendBatch = 500
)

// invalidationRow is a row of the invalidations table
// (migrations/sql/00004_invalidations.sql).
type invalidationRow struct {
	bun.BaseModel `bun:"table:invalidations"`

	ID          int64   `bun:"id,pk,autoincrement"`
	SessionHash *string `bun:"session_hash"`
	UserID      *int64  `bun:"user_id"`
	// A written project or task and the version the write produced
	// (migrations/sql/00008_object_invalidations.sql).
	ProjectID *int64 `bun:"project_id"`
	TaskID    *int64 `bun:"task_id"`
	Version   *int64 `bun:"version"`
}

// InvalidationLog is the durable copy of the invalidation channel
// (ports.Revocations): Publish appends the announcement to the
// invalidations table, and every instance reads the table's recent rows
// every PollEvery and hands them to its local caches.
//
// It exists because the Redis channel (adapters/redisstore.Revocations)
// can lose an announcement while subscribers still look healthy: a
// PUBLISH refused or paused (ElastiCache throttling, CLIENT PAUSE WRITE),
// or sent over a connection that died after the command left. Redis
// delivers in milliseconds; this log guarantees delivery within about
// PollEvery, whatever Redis does. The sink trusts its copies only until
// TrustFor after the start of the last read that succeeded, so an
// instance that cannot read the table stops serving local copies by
// itself within TrustFor.
//
// Cost: one INSERT per announcement (logins, logouts, password and profile
// changes, revocations, and writes of projects and tasks), one SELECT per
// PollEvery per instance, and
// one DELETE of old rows per Keep per instance.
type InvalidationLog struct {
	db   *bun.DB
	sink InvalidationSink
	opt  InvalidationOptions
	log  *slog.Logger

	mu      sync.Mutex
	pending []pendingInvalidation // failed appends, oldest first

	// The reader's state, owned by its goroutine.
	maxID     int64
	seen      map[int64]time.Time
	lastPurge time.Time

	cancel context.CancelFunc
	done   chan struct{}
}

type pendingInvalidation struct {
	inv   ports.Invalidation
	until time.Time
}

var _ ports.Revocations = (*InvalidationLog)(nil)

// maxPendingAppends bounds the retry queue; past it the oldest are dropped
// (they are about copies that expire within RetryFor anyway) and an error
// is logged.
const maxPendingAppends = 1024

// NewInvalidationLog returns the log on db delivering to sink (nil: publish
// only, as the commands do). Nothing is read until Start.
func NewInvalidationLog(db *bun.DB, sink InvalidationSink, opt InvalidationOptions, log *slog.Logger) *InvalidationLog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &InvalidationLog{db: db, sink: sink, opt: opt.withDefaults(), log: log, seen: map[int64]time.Time{}}
}

// Publish appends inv: one INSERT (one per 500 items). On failure the
// announcement is queued for retry and Unavailable is returned for the
// caller to log.
func (l *InvalidationLog) Publish(ctx context.Context, inv ports.Invalidation) error {
	if inv.Empty() {
		return nil
	}
	err := l.append(ctx, inv)
	if err == nil {
		return nil
	}
	l.mu.Lock()
	if len(l.pending) >= maxPendingAppends {
		l.pending = l.pending[1:]
		l.log.ErrorContext(ctx, "invalidation retry queue full; dropping the oldest", "limit", maxPendingAppends)
	}
	l.pending = append(l.pending, pendingInvalidation{inv: inv, until: time.Now().Add(l.opt.RetryFor)})
	l.mu.Unlock()
	return domain.Unavailable(fmt.Errorf("mysql: record invalidation: %w", err))
}

// append writes one row per item, with the database's clock.
func (l *InvalidationLog) append(ctx context.Context, inv ports.Invalidation) error {
	var args []any
	var b strings.Builder
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := l.db.ExecContext(ctx, "INSERT INTO invalidations (created_at, session_hash, user_id, project_id, task_id, version) VALUES "+b.String(), args...)
		b.Reset()
		args = args[:0]
		return MapError(err)
	}
	add := func(hash, user, project, task, version any) error {
		if len(args) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(NOW(6), ?, ?, ?, ?, ?)")
		args = append(args, hash, user, project, task, version)
		if len(args) >= 5*appendBatch {
			return flush()
		}
		return nil
	}
	for _, h := range inv.Sessions {
		if err := add(h, nil, nil, nil, nil); err != nil {
			return err
		}
	}
	for _, id := range inv.Users {
		if err := add(nil, id, nil, nil, nil); err != nil {
			return err
		}
	}
	for _, o := range inv.Projects {
		if err := add(nil, nil, o.ID, nil, o.Version); err != nil {
			return err
		}
	}
	for _, o := range inv.Tasks {
		if err := add(nil, nil, nil, o.ID, o.Version); err != nil {
			return err
		}
	}
	return flush()
}

// Start reads the table in the background and returns at once; the sink
// stays distrusted until the first read succeeds.
func (l *InvalidationLog) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		l.run(ctx)
	}()
}

// Stop ends the reader, waiting for it up to ctx.
func (l *InvalidationLog) Stop(ctx context.Context) error {
	if l.cancel == nil {
		return nil
	}
	l.cancel()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *InvalidationLog) run(ctx context.Context) {
	t := time.NewTicker(l.opt.PollEvery)
	defer t.Stop()
	ok := false
	for {
		start := time.Now()
		err := l.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if ok {
				l.log.WarnContext(ctx, "invalidation log unreadable; local caches off until it is read again", "err", err)
			}
			ok = false
			if l.sink != nil {
				l.sink.Distrust()
			}
		default:
			if !ok && l.sink != nil {
				// Rows may have been purged while we could not read them.
				l.sink.Reset()
			}
			ok = true
			if l.sink != nil {
				l.sink.Trust(start.Add(l.opt.TrustFor))
			}
		}
		l.retry(ctx)
		if ok && time.Since(l.lastPurge) >= l.opt.Keep {
			l.purge(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reads the rows after the highest ID seen and those of the last
// lookback, and delivers the new ones.
func (l *InvalidationLog) poll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.opt.TrustFor)
	defer cancel()
	var rows []invalidationRow
	err := l.db.NewSelect().Model(&rows).Column("id", "session_hash", "user_id", "project_id", "task_id", "version").
		Where("id > ? OR created_at >= NOW(6) - INTERVAL ? MICROSECOND", l.maxID, lookback.Microseconds()).
		OrderExpr("id").Limit(pollLimit).Scan(ctx)
	if err != nil {
		return MapError(err)
	}
	now := time.Now()
	var inv ports.Invalidation
	for _, r := range rows {
		l.maxID = max(l.maxID, r.ID)
		if _, dup := l.seen[r.ID]; dup {
			continue
		}
		l.seen[r.ID] = now
		switch {
		case r.SessionHash != nil:
			inv.Sessions = append(inv.Sessions, *r.SessionHash)
		case r.UserID != nil:
			inv.Users = append(inv.Users, *r.UserID)
		case r.ProjectID != nil && r.Version != nil:
			inv.Projects = append(inv.Projects, ports.ObjectVersion{ID: *r.ProjectID, Version: *r.Version})
		case r.TaskID != nil && r.Version != nil:
			inv.Tasks = append(inv.Tasks, ports.ObjectVersion{ID: *r.TaskID, Version: *r.Version})
		}
	}
	for id, at := range l.seen {
		if now.Sub(at) > 4*lookback {
			delete(l.seen, id)
		}
	}
	if l.sink == nil {
		return nil
	}
	if len(rows) == pollLimit {
		l.sink.Reset()
		return nil
	}
	if !inv.Empty() {
		l.sink.Invalidate(inv)
	}
	return nil
}

// retry re-appends failed announcements until they go through or stop
// mattering (RetryFor).
func (l *InvalidationLog) retry(ctx context.Context) {
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	l.mu.Unlock()
	now := time.Now()
	var failed []pendingInvalidation
	for i, p := range batch {
		if now.After(p.until) {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, time.Second)
		err := l.append(actx, p.inv)
		cancel()
		if err != nil {
			failed = batch[i:]
			break
		}
	}
	if len(failed) > 0 {
		l.mu.Lock()
		l.pending = append(failed, l.pending...)
		l.mu.Unlock()
	}
}

// purge deletes rows older than Keep, a batch at a time. Every instance
// runs it; the deletes are idempotent.
func (l *InvalidationLog) purge(ctx context.Context) {
	l.lastPurge = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := l.db.NewDelete().TableExpr("invalidations").
		Where("created_at < NOW(6) - INTERVAL ? MICROSECOND", l.opt.Keep.Microseconds()).Limit(pollLimit).Exec(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		l.log.WarnContext(ctx, "purging old invalidations failed", "err", err)
	}
}

// Pending reports how many announcements await a retry, for tests.
func (l *InvalidationLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}
