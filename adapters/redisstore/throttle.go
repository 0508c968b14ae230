package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// LoginThrottle limits login attempts with two fixed-window counters:
// attempts per client address (counted by Check) and failed logins per
// account (counted by Failed, cleared by Succeeded). A window starts with
// its first count and is never extended by later ones, so hammering a
// blocked account or address does not prolong the block.
//
// Each call is one round trip: Check is one pipeline of five single-key
// commands on two keys (on a cluster the client splits it per node), Failed
// a pipeline of two, Succeeded one DEL. Nothing needs a transaction: INCR
// is atomic, and PEXPIRE NX sets the window only where none is set, so a
// key that lost its TTL gets one back on the next count.
//
// Callers pass the normalised account key (the e-mail key users are looked
// up by), so that "Bob@x" and "bob@x" share one counter. An empty key or
// address, or a limit or window of 0, switches that counter off.
//
// The throttle fails open: when Redis fails, the part that could not be
// read allows the attempt and the error (domain.Unavailable) is returned
// for the caller to log.
type LoginThrottle struct {
	c   redis.UniversalClient
	k   Keys
	cfg env.Throttle
}

var _ ports.LoginThrottle = (*LoginThrottle)(nil)

// NewLoginThrottle returns a throttle with cfg's limits, storing under k's keys.
func NewLoginThrottle(c redis.UniversalClient, k Keys, cfg env.Throttle) *LoginThrottle {
	return &LoginThrottle{c: c, k: k, cfg: cfg}
}

func (t *LoginThrottle) accountOn(accountKey string) bool {
	return accountKey != "" && t.cfg.AccountLimit > 0 && t.cfg.AccountWindow > 0
}

func (t *LoginThrottle) clientOn(clientAddr string) bool {
	return clientAddr != "" && t.cfg.ClientLimit > 0 && t.cfg.ClientWindow > 0
}

// Check counts an attempt from clientAddr and returns how long to wait
// before trying again: the rest of the exhausted window when the client has
// made more than ClientLimit attempts in it, or the account has
// AccountLimit failures; the longer of the two when both are exhausted.
func (t *LoginThrottle) Check(ctx context.Context, accountKey, clientAddr string) (time.Duration, error) {
	clientOn, accountOn := t.clientOn(clientAddr), t.accountOn(accountKey)
	if !clientOn && !accountOn {
		return 0, nil
	}
	ck, ak := t.k.ThrottleClient(clientAddr), t.k.ThrottleAccount(accountKey)
	var (
		attempts           *redis.IntCmd
		clientExpire       *redis.BoolCmd
		failures           *redis.StringCmd
		clientTTL, acctTTL *redis.DurationCmd
	)
	// The pipeline's own error repeats the first command error; each part
	// is judged by its own commands below, so that a failure on one node
	// does not hide a block read from the other.
	_, _ = t.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		if clientOn {
			attempts = p.Incr(ctx, ck)
			clientExpire = pexpireNX(ctx, p, ck, t.cfg.ClientWindow)
			clientTTL = p.PTTL(ctx, ck)
		}
		if accountOn {
			failures = p.Get(ctx, ak)
			acctTTL = p.PTTL(ctx, ak)
		}
		return nil
	})

	var wait time.Duration
	var errs []error
	if clientOn {
		w, err := t.clientWait(attempts, clientExpire, clientTTL)
		wait = max(wait, w)
		errs = append(errs, err)
	}
	if accountOn {
		w, err := t.accountWait(ctx, ak, failures, acctTTL)
		wait = max(wait, w)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return wait, domain.Unavailable(fmt.Errorf("redis: login throttle check: %w", err))
	}
	return wait, nil
}

// clientWait reads the client part of Check: blocked once the attempt just
// counted is beyond the limit.
func (t *LoginThrottle) clientWait(attempts *redis.IntCmd, expire *redis.BoolCmd, ttl *redis.DurationCmd) (time.Duration, error) {
	for _, c := range []redis.Cmder{attempts, expire, ttl} {
		if err := c.Err(); err != nil {
			return 0, err
		}
	}
	if attempts.Val() <= int64(t.cfg.ClientLimit) {
		return 0, nil
	}
	// PEXPIRE NX ran just before, so a TTL is always there; -2 means the
	// window ended in between.
	return max(ttl.Val(), 0), nil
}

// accountWait reads the account part of Check: blocked once the failures
// reach the limit.
func (t *LoginThrottle) accountWait(ctx context.Context, key string, failures *redis.StringCmd, ttl *redis.DurationCmd) (time.Duration, error) {
	n, err := failures.Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return 0, nil
	case err != nil:
		return 0, err
	case ttl.Err() != nil:
		return 0, ttl.Err()
	case n < int64(t.cfg.AccountLimit):
		return 0, nil
	}
	switch d := ttl.Val(); {
	case d == -1:
		// A counter without TTL (a Failed cut off between its INCR and its
		// PEXPIRE) would block the account for ever, and a blocked account
		// never reaches Failed to repair it: repair it here, at the cost of
		// a second round trip in that rare case only.
		return t.cfg.AccountWindow, t.c.PExpire(ctx, key, t.cfg.AccountWindow).Err()
	case d <= 0:
		return 0, nil // expired between GET and PTTL: the window is over
	default:
		return d, nil
	}
}

// Failed counts a failed login for the account; the first failure of a
// window starts it.
func (t *LoginThrottle) Failed(ctx context.Context, accountKey string) error {
	if !t.accountOn(accountKey) {
		return nil
	}
	ak := t.k.ThrottleAccount(accountKey)
	_, err := t.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, ak)
		pexpireNX(ctx, p, ak, t.cfg.AccountWindow)
		return nil
	})
	if err != nil {
		return domain.Unavailable(fmt.Errorf("redis: login throttle failure: %w", err))
	}
	return nil
}

// Succeeded forgets the account's failures. The client counter stays: it
// limits attempts, successful or not.
func (t *LoginThrottle) Succeeded(ctx context.Context, accountKey string) error {
	if !t.accountOn(accountKey) {
		return nil
	}
	if err := t.c.Del(ctx, t.k.ThrottleAccount(accountKey)).Err(); err != nil {
		return domain.Unavailable(fmt.Errorf("redis: login throttle reset: %w", err))
	}
	return nil
}

// pexpireNX queues PEXPIRE key ms NX, which go-redis has no method for
// (ExpireNX rounds to whole seconds).
func pexpireNX(ctx context.Context, p redis.Pipeliner, key string, d time.Duration) *redis.BoolCmd {
	cmd := redis.NewBoolCmd(ctx, "pexpire", key, d.Milliseconds(), "nx")
	_ = p.Process(ctx, cmd)
	return cmd
}
