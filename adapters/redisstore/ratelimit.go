package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// RateLimit is the rate-limit counter of a key (hashed: keys may hold
// emails and addresses, which have no business in Redis in clear).
func (k Keys) RateLimit(key string) string { return k.Tagged("rl", digest(key)) }

// RateLimiter is a fixed-window counter per key: one pipeline of INCR,
// PEXPIRE NX and PTTL on one key, so one round trip and three commands
// as INFO commandstats counts them. A window starts with its first hit and
// later hits never extend it; PEXPIRE NX gives a key that lost its TTL one
// back on the next hit.
type RateLimiter struct {
	c redis.UniversalClient
	k Keys
}

var _ ports.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter storing under k's keys.
func NewRateLimiter(c redis.UniversalClient, k Keys) *RateLimiter { return &RateLimiter{c: c, k: k} }

// Hit counts one hit on key. Unavailable when Redis failed.
func (l *RateLimiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	rk := l.k.RateLimit(key)
	var (
		incr *redis.IntCmd
		exp  *redis.BoolCmd
		ttl  *redis.DurationCmd
	)
	_, err := l.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, rk)
		exp = pexpireNX(ctx, p, rk, window)
		ttl = p.PTTL(ctx, rk)
		return nil
	})
	if err == nil {
		for _, c := range []redis.Cmder{incr, exp, ttl} {
			if err = c.Err(); err != nil {
				break
			}
		}
	}
	if err != nil {
		return 0, domain.Unavailable(fmt.Errorf("redis: rate limit: %w", err))
	}
	if incr.Val() <= int64(limit) {
		return 0, nil
	}
	return max(ttl.Val(), time.Millisecond), nil
}
