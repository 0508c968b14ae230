package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// # A hung or failing node
//
// Redis is a cache: every caller falls back to MySQL on an error. What a
// bad node must not do is make requests wait. Two hooks see to it:
//
//   - budgetHook gives every call its own deadline (ONIT_REDIS_COMMAND_TIMEOUT,
//     150 ms by default), covering redirects, the one retry and the dial of
//     a new connection. A request whose own deadline is nearer keeps it.
//   - breakerHook, one per node (per master and replica of a cluster, per
//     server otherwise), counts consecutive failures: network errors,
//     timeouts and the replies of a node that cannot serve (LOADING,
//     CLUSTERDOWN, TRYAGAIN, MASTERDOWN). After ONIT_REDIS_BREAKER_FAILURES
//     of them the node is skipped: calls to it fail at once, without a
//     round trip, for ONIT_REDIS_BREAKER_OPEN; then one call probes it, and
//     its success closes the breaker. Other replies (a miss, OOM, NOSCRIPT)
//     prove the node alive and count as successes; calls abandoned because
//     the request itself ended count as neither.
//
// So a frozen node costs each request at most one budget until the breaker
// opens, and nothing while it is open; requests read MySQL meanwhile.

// ErrNodeSkipped is returned for calls to a node whose breaker is open.
var ErrNodeSkipped = errors.New("redis node skipped after repeated failures")

// errBudget is the cause of a call's context when its own budget expired,
// which tells a slow node (a failure) from a request that ended (neither).
var errBudget = errors.New("redis command budget exceeded")

// errExcluded marks an outcome the breaker must not count.
var errExcluded = errors.New("not counted")

// budgetHook bounds each call (command or pipeline) by d.
type budgetHook struct{ d time.Duration }

var _ redis.Hook = budgetHook{}

func (h budgetHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h budgetHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ctx, cancel := h.bound(ctx)
		defer cancel()
		return next(ctx, cmd)
	}
}

func (h budgetHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, cancel := h.bound(ctx)
		defer cancel()
		return next(ctx, cmds)
	}
}

func (h budgetHook) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.d <= 0 {
		return ctx, func() {}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= h.d {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, h.d, errBudget)
}

// breakerHook skips one node while it keeps failing.
type breakerHook struct {
	addr string
	cb   *gobreaker.CircuitBreaker[struct{}]
}

var _ redis.Hook = (*breakerHook)(nil)

// BreakerConfig tunes the per-node circuit breakers.
type BreakerConfig struct {
	// Failures is how many consecutive failures open a node's breaker.
	Failures int
	// Open is how long an open breaker refuses calls before one probe.
	Open time.Duration

	// onOpen runs (without blocking) each time a node's breaker opens: a
	// cluster client re-reads its slot map then (see clusterReloader).
	onOpen func()
}

// Defaults of a BreakerConfig left zero (tests build clients without
// settings); the settings carry the same values.
const (
	defaultBreakerFailures = 5
	defaultBreakerOpen     = time.Second
)

func newBreakerHook(addr string, cfg BreakerConfig, log *slog.Logger) *breakerHook {
	if cfg.Failures <= 0 {
		cfg.Failures = defaultBreakerFailures
	}
	if cfg.Open <= 0 {
		cfg.Open = defaultBreakerOpen
	}
	failures := uint32(cfg.Failures) //nolint:gosec // positive, and settings keep it small
	st := gobreaker.Settings{
		Name:        addr,
		MaxRequests: 1, // one probe while half-open
		Timeout:     cfg.Open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen && cfg.onOpen != nil {
				cfg.onOpen()
			}
			if log == nil {
				return
			}
			switch to {
			case gobreaker.StateOpen:
				log.Warn("redis node failing; skipping it, requests read MySQL", "node", name, "from", from.String(), "for", cfg.Open)
			case gobreaker.StateClosed:
				log.Info("redis node answering again", "node", name)
			}
		},
	}
	return &breakerHook{addr: addr, cb: gobreaker.NewCircuitBreaker[struct{}](st)}
}

func (h *breakerHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *breakerHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.run(ctx, func(ctx context.Context) error { return next(ctx, cmd) })
	}
}

func (h *breakerHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return h.run(ctx, func(ctx context.Context) error {
			err := next(ctx, cmds)
			if err == nil {
				for _, c := range cmds {
					if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
						return e
					}
				}
			}
			return err
		})
	}
}

// insideKey marks a context already inside a breaker's call: a new
// connection's handshake (HELLO, AUTH) runs through the same hooks, and
// must count as part of the call that needed it, not as a second call
// (which a half-open breaker would refuse, failing its own probe).
type insideKey struct{ h *breakerHook }

func (h *breakerHook) run(ctx context.Context, call func(context.Context) error) error {
	if ctx.Value(insideKey{h}) != nil {
		return call(ctx)
	}
	ctx = context.WithValue(ctx, insideKey{h}, true)
	var err error
	ran := false
	_, berr := h.cb.Execute(func() (struct{}, error) {
		ran = true
		err = call(ctx)
		return struct{}{}, h.outcome(ctx, err)
	})
	if !ran {
		return fmt.Errorf("%w: %s (%w)", ErrNodeSkipped, h.addr, berr)
	}
	return err
}

// outcome is what the breaker counts for err: nil (a success), a failure,
// or errExcluded.
func (h *breakerHook) outcome(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && !errors.Is(context.Cause(ctx), errBudget):
		return errExcluded // the request ended; says nothing about the node
	case isReply(err) && !unavailableReply(err):
		return nil // the node answered
	}
	return err
}

// isReply reports an error reply from the server (a miss included), as
// opposed to a network error or a timeout.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// unavailableReply reports replies of a node that cannot serve now.
func unavailableReply(err error) bool {
	msg := err.Error()
	for _, p := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
