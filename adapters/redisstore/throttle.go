package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// Throttle counts attempts in fixed windows, one counter key per
// (kind, id): onit:thr:<kind>:{<digest of id>}.
//
// Attempt is one round trip: a pipeline of INCR, PEXPIRE NX and PTTL per
// counter (3 commands each; on a cluster the client splits the pipeline per
// node). INCR is atomic, so every concurrent attempt gets its own count and
// at most Limit of them see a count within the limit, whatever their
// interleaving: the verdict is the INCR's own reply, never an earlier read.
// PEXPIRE NX starts the window only where none runs, so a key that lost its
// TTL (a pipeline cut off after its INCR) gets one back on the next attempt
// and no counter can block for ever. Reset is one DEL.
type Throttle struct {
	c redis.UniversalClient
	k Keys
}

var _ ports.Throttle = (*Throttle)(nil)

// NewThrottle returns a throttle storing under k's keys.
func NewThrottle(c redis.UniversalClient, k Keys) *Throttle {
	return &Throttle{c: c, k: k}
}

type attemptCmds struct {
	n      *redis.IntCmd
	expire *redis.BoolCmd
	ttl    *redis.DurationCmd
}

// Attempt counts one attempt on each counter that is on.
func (t *Throttle) Attempt(ctx context.Context, counters ...ports.ThrottleCounter) (time.Duration, error) {
	if !anyOn(counters) {
		return 0, nil
	}
	cmds := make([]attemptCmds, len(counters))
	// The pipeline's own error repeats the first command error; each
	// counter is judged by its own replies below.
	_, _ = t.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range counters {
			if !c.On() {
				continue
			}
			key := t.k.Throttle(c.Kind, c.ID)
			cmds[i] = attemptCmds{n: p.Incr(ctx, key), expire: pexpireNX(ctx, p, key, c.Window), ttl: p.PTTL(ctx, key)}
		}
		return nil
	})
	var wait time.Duration
	var errs []error
	for i, c := range counters {
		if cmds[i].n == nil {
			continue
		}
		w, err := judge(c, cmds[i])
		wait = max(wait, w)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return wait, domain.Unavailable(fmt.Errorf("redis: throttle attempt: %w", err))
	}
	return wait, nil
}

// judge reads one counter's replies: blocked once the attempt just counted
// is beyond the limit, for the rest of the window.
func judge(c ports.ThrottleCounter, cmds attemptCmds) (time.Duration, error) {
	for _, cmd := range []redis.Cmder{cmds.n, cmds.expire, cmds.ttl} {
		if err := cmd.Err(); err != nil {
			return 0, err
		}
	}
	if cmds.n.Val() <= int64(c.Limit) {
		return 0, nil
	}
	// PEXPIRE NX ran just before, so a TTL is there; -2 means the window
	// ended in between.
	return max(cmds.ttl.Val(), 0), nil
}

// Reset forgets the counters' attempts.
func (t *Throttle) Reset(ctx context.Context, counters ...ports.ThrottleCounter) error {
	keys := make([]string, 0, len(counters))
	for _, c := range counters {
		if c.On() {
			keys = append(keys, t.k.Throttle(c.Kind, c.ID))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	// One DEL per key: the keys live in different cluster slots.
	_, err := t.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, k)
		}
		return nil
	})
	if err != nil {
		return domain.Unavailable(fmt.Errorf("redis: throttle reset: %w", err))
	}
	return nil
}

func anyOn(counters []ports.ThrottleCounter) bool {
	for _, c := range counters {
		if c.On() {
			return true
		}
	}
	return false
}

// pexpireNX queues PEXPIRE key ms NX, which go-redis has no method for
// (ExpireNX rounds to whole seconds).
func pexpireNX(ctx context.Context, p redis.Pipeliner, key string, d time.Duration) *redis.BoolCmd {
	cmd := redis.NewBoolCmd(ctx, "pexpire", key, d.Milliseconds(), "nx")
	_ = p.Process(ctx, cmd)
	return cmd
}
