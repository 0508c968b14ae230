package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// RevocationSink is what the subscriber keeps informed: the instance-local
// session cache (adapters/localcache.Sessions).
type RevocationSink interface {
	// Invalidate drops what an announcement names.
	Invalidate(inv ports.Invalidation)
	// Reset drops everything: announcements may have been missed.
	Reset()
	// Trust lets the sink serve its copies until the given instant.
	Trust(until time.Time)
	// Distrust stops the sink serving copies, and drops them.
	Distrust()
}

// RevocationOptions tune the subscription; zero values take the defaults.
type RevocationOptions struct {
	// PingEvery is how often the subscriber proves its subscription alive
	// (default 250 ms: four PINGs a second per instance, on the
	// subscription's own connection).
	PingEvery time.Duration
	// TrustFor is how long after the last proof the local copies stay
	// trusted (default 900 ms, which keeps "revoked everywhere within one
	// second" even when the subscription dies without a sound).
	TrustFor time.Duration
	// RetryFor is how long a failed announcement is retried: as long as a
	// stale local copy could live, the local cache's TTL (default 30 s).
	RetryFor time.Duration
}

func (o RevocationOptions) withDefaults() RevocationOptions {
	if o.PingEvery <= 0 {
		o.PingEvery = 250 * time.Millisecond
	}
	if o.TrustFor <= 0 {
		o.TrustFor = 900 * time.Millisecond
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 30 * time.Second
	}
	return o
}

// Revocations carries session invalidations between instances over Redis
// pub/sub (ports.Revocations), and subscribes this instance to them for its
// local session cache.
//
// # Channel
//
// One classic PUBLISH/SUBSCRIBE channel, Keys.RevocationChannel(). On
// Redis Cluster (ElastiCache Serverless included) a PUBLISH on any node
// reaches subscribers on every node over the cluster bus, and go-redis's
// cluster client subscribes on the node that owns the channel name's slot.
// Sharded pub/sub (SSUBSCRIBE) would spare the cluster bus that broadcast,
// but it pays off only for heavy traffic, and revocations are rare (logins,
// logouts, password and profile changes); classic pub/sub also works on a
// single node, on every Redis since 2.0 and on the miniredis that tests
// and the development engines use, which has no sharded pub/sub.
//
// # Messages
//
// Text, "1" (the format version) followed by space-separated items:
// "s<token hash>" for a revoked session, "u<user ID>" for a changed user,
// "p<project ID>:<version>" and "t<task ID>:<version>" for a written or
// deleted project or task (ports.ObjectVersion), "*" for everything. A message in another version or with an item this
// release does not know (sent by a newer release during a deploy) resets
// the whole local cache: safe, and only costs reloads.
//
// # Failures
//
// The subscriber sends a PING with its send time as payload every
// PingEvery on the subscription connection. Redis answers in order, so a
// PONG proves that everything published before its PING was sent has been
// delivered; each one extends the local cache's trust to that send time
// plus TrustFor. When the connection fails, when a PONG is overdue, or
// when Redis unsubscribes us, the local cache is dropped and distrusted
// (every request then reads Redis and MySQL as before) until a new
// subscription is confirmed, which resets the cache once more. A
// subscription that dies silently is therefore not trusted beyond
// TrustFor after its last proof. Redis being down costs round trips,
// never a logout or a failed request.
//
// A failed PUBLISH is retried in the background for RetryFor, since an
// instance that stayed subscribed (Redis up for it, not for us) could
// otherwise serve the revoked session until its local entry expires.
type Revocations struct {
	c       redis.UniversalClient
	channel string
	sink    RevocationSink
	opt     RevocationOptions
	log     *slog.Logger

	mu      sync.Mutex
	pending []pendingRevocation // failed announcements, oldest first
	kick    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

type pendingRevocation struct {
	msg   string
	until time.Time
}

var _ ports.Revocations = (*Revocations)(nil)

// maxPending bounds the retry queue; beyond it the queue collapses into one
// "everything" announcement, which is always correct.
const maxPending = 256

// NewRevocations returns revocations on c under k's channel, delivering to
// sink. Nothing runs until Start.
func NewRevocations(c redis.UniversalClient, k Keys, sink RevocationSink, opt RevocationOptions, log *slog.Logger) *Revocations {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Revocations{c: c, channel: k.RevocationChannel(), sink: sink, opt: opt.withDefaults(), log: log,
		kick: make(chan struct{}, 1)}
}

// Publish announces inv to every subscribed instance (this one included):
// one PUBLISH. On failure the message is queued for retry and the error,
// Unavailable, is returned for the caller to log.
func (r *Revocations) Publish(ctx context.Context, inv ports.Invalidation) error {
	if inv.Empty() {
		return nil
	}
	msg := EncodeInvalidation(inv)
	err := r.c.Publish(ctx, r.channel, msg).Err()
	if err == nil {
		return nil
	}
	r.mu.Lock()
	if len(r.pending) >= maxPending {
		r.pending = append(r.pending[:0], pendingRevocation{msg: "1 *"})
	} else {
		r.pending = append(r.pending, pendingRevocation{msg: msg})
	}
	r.pending[len(r.pending)-1].until = time.Now().Add(r.opt.RetryFor)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return domain.Unavailable(fmt.Errorf("redis: publish revocation: %w", err))
}

// Start subscribes in the background and returns at once; the local cache
// stays distrusted until the subscription is confirmed.
func (r *Revocations) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { r.subscribe(ctx) })
	wg.Go(func() { r.retry(ctx) })
	go func() { wg.Wait(); close(r.done) }()
}

// Stop ends the subscription and the retries, waiting for them up to ctx.
func (r *Revocations) Stop(ctx context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// subscribe keeps one subscription alive until ctx ends, backing off while
// Redis cannot be reached. Each outage is logged once.
func (r *Revocations) subscribe(ctx context.Context) {
	// At most half a second between attempts: the instance caches stay off
	// until the subscription is back, so a Redis that returns must be
	// noticed quickly (issue 11: normal again within 2 s); one attempt is a
	// dial and a SUBSCRIBE.
	const minBackoff, maxBackoff = 50 * time.Millisecond, 500 * time.Millisecond
	backoff := minBackoff
	quiet := false
	for {
		ok, err := r.serve(ctx)
		r.sink.Distrust()
		if ctx.Err() != nil {
			return
		}
		if ok {
			backoff, quiet = minBackoff, false
		}
		if !quiet {
			r.log.Warn("session revocations unsubscribed; local session cache off until resubscribed", "err", err)
			quiet = true
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// serve runs one subscription on its own connection until it fails. ok
// reports whether it was confirmed (so the caller resets its backoff).
func (r *Revocations) serve(ctx context.Context) (ok bool, err error) {
	ps := r.c.Subscribe(ctx) // no channel yet: connects on the Subscribe below
	defer ps.Close()
	if err := ps.Subscribe(ctx, r.channel); err != nil {
		return false, err
	}
	lastHeard := time.Now()
	nextPing := lastHeard.Add(r.opt.PingEvery)
	for {
		msg, err := ps.ReceiveTimeout(ctx, max(time.Until(nextPing), time.Millisecond))
		now := time.Now()
		switch {
		case err != nil && ctx.Err() != nil:
			return ok, ctx.Err()
		case err != nil && !isTimeout(err):
			return ok, err
		case err == nil:
			lastHeard = now
			switch m := msg.(type) {
			case *redis.Subscription:
				if m.Kind != "subscribe" || m.Channel != r.channel {
					return ok, fmt.Errorf("redis: %s %s", m.Kind, m.Channel)
				}
				// A new connection: whatever was published before it is
				// lost to us, so start from nothing.
				r.sink.Reset()
				r.sink.Trust(now.Add(r.opt.TrustFor))
				if !ok {
					r.log.Info("session revocations subscribed; local session cache on", "channel", r.channel)
				}
				ok = true
			case *redis.Pong:
				if sent, perr := strconv.ParseInt(m.Payload, 10, 64); perr == nil && ok {
					r.sink.Trust(time.Unix(0, sent).Add(r.opt.TrustFor))
				}
			case *redis.Message:
				inv, all := DecodeInvalidation(m.Payload)
				if all {
					r.sink.Reset()
				} else {
					r.sink.Invalidate(inv)
				}
			}
		}
		if now.Before(nextPing) {
			continue
		}
		// A PONG answers within milliseconds; silence for this long means
		// the connection is gone without telling us.
		if now.Sub(lastHeard) > r.opt.PingEvery+r.opt.TrustFor {
			return ok, errors.New("redis: subscription connection silent")
		}
		if err := ps.Ping(ctx, strconv.FormatInt(now.UnixNano(), 10)); err != nil {
			return ok, err
		}
		nextPing = now.Add(r.opt.PingEvery)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retry re-sends failed announcements until they go through or stop
// mattering (RetryFor).
func (r *Revocations) retry(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		r.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		now := time.Now()
		var failed []pendingRevocation
		for i, p := range batch {
			if now.After(p.until) {
				continue // every local copy it was about has expired by now
			}
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			err := r.c.Publish(pctx, r.channel, p.msg).Err()
			cancel()
			if err != nil {
				failed = append(failed, batch[i:]...)
				break
			}
		}
		if len(failed) > 0 {
			r.mu.Lock()
			r.pending = append(failed, r.pending...)
			if len(r.pending) > maxPending {
				r.pending = []pendingRevocation{{msg: "1 *", until: now.Add(r.opt.RetryFor)}}
			}
			r.mu.Unlock()
		}
	}
}

// EncodeInvalidation renders inv in the message format described on
// Revocations.
func EncodeInvalidation(inv ports.Invalidation) string {
	n := 1
	for _, h := range inv.Sessions {
		n += 2 + len(h)
	}
	n += len(inv.Users)*21 + (len(inv.Projects)+len(inv.Tasks))*41
	b := make([]byte, 0, n)
	b = append(b, '1')
	for _, h := range inv.Sessions {
		b = append(b, " s"...)
		b = append(b, h...)
	}
	for _, id := range inv.Users {
		b = append(b, " u"...)
		b = strconv.AppendInt(b, id, 10)
	}
	for _, o := range inv.Projects {
		b = appendObject(append(b, " p"...), o)
	}
	for _, o := range inv.Tasks {
		b = appendObject(append(b, " t"...), o)
	}
	return string(b)
}

// DecodeInvalidation reads a message; all is true when it asks for (or,
// being unreadable, calls for) dropping everything.
func DecodeInvalidation(msg string) (inv ports.Invalidation, all bool) {
	rest, ok := strings.CutPrefix(msg, "1")
	if !ok || (rest != "" && rest[0] != ' ') {
		return ports.Invalidation{}, true
	}
	for item := range strings.FieldsSeq(rest) {
		switch {
		case item == "*":
			return ports.Invalidation{}, true
		case item[0] == 's' && len(item) > 1:
			inv.Sessions = append(inv.Sessions, item[1:])
		case item[0] == 'u':
			id, err := strconv.ParseInt(item[1:], 10, 64)
			if err != nil {
				return ports.Invalidation{}, true
			}
			inv.Users = append(inv.Users, id)
		case item[0] == 'p' || item[0] == 't':
			o, ok := parseObject(item[1:])
			if !ok {
				return ports.Invalidation{}, true
			}
			if item[0] == 'p' {
				inv.Projects = append(inv.Projects, o)
			} else {
				inv.Tasks = append(inv.Tasks, o)
			}
		default:
			return ports.Invalidation{}, true
		}
	}
	return inv, false
}

func appendObject(b []byte, o ports.ObjectVersion) []byte {
	b = strconv.AppendInt(b, o.ID, 10)
	b = append(b, ':')
	return strconv.AppendInt(b, o.Version, 10)
}

func parseObject(s string) (ports.ObjectVersion, bool) {
	id, ver, ok := strings.Cut(s, ":")
	if !ok {
		return ports.ObjectVersion{}, false
	}
	i, err1 := strconv.ParseInt(id, 10, 64)
	v, err2 := strconv.ParseInt(ver, 10, 64)
	if err1 != nil || err2 != nil {
		return ports.ObjectVersion{}, false
	}
	return ports.ObjectVersion{ID: i, Version: v}, true
}
