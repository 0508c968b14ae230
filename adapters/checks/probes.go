package checks

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RedisProbe answers Cache over Onit's Redis client.
type RedisProbe struct {
	Client redis.UniversalClient
}

var _ Cache = RedisProbe{}

// scanCount is SCAN's COUNT hint, and maxScans bounds the SCAN calls per
// node: with a selective pattern over a big keyspace SCAN can return
// nothing for many calls, and each is a command against the budget.
const (
	scanCount = 100
	maxScans  = 50
)

// KeysWithoutTTL implements Cache. On a cluster each primary is scanned
// (SCAN only sees the node it is sent to); TTLs are read with one pipeline
// per batch on the node that holds the keys.
func (p RedisProbe) KeysWithoutTTL(ctx context.Context, pattern string, limit int) (int, []string, error) {
	var mu sync.Mutex
	sampled := 0
	var noTTL []string
	// take reserves up to n of the remaining sample for one batch.
	take := func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		n = min(n, limit-sampled)
		sampled += n
		return n
	}
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for range maxScans {
			keys, next, err := c.Scan(ctx, cursor, pattern, scanCount).Result()
			if err != nil {
				return err
			}
			keys = keys[:take(len(keys))]
			if len(keys) > 0 {
				pipe := c.Pipeline()
				ttls := make([]*redis.DurationCmd, len(keys))
				for i, k := range keys {
					ttls[i] = pipe.TTL(ctx, k)
				}
				if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
					return err
				}
				mu.Lock()
				for i, t := range ttls {
					// TTL answers -1 (as a duration) for a key without expiry,
					// -2 for one that vanished meanwhile.
					if t.Err() == nil && t.Val() == -1 {
						noTTL = append(noTTL, keys[i])
					}
				}
				mu.Unlock()
			}
			cursor = next
			mu.Lock()
			full := sampled >= limit
			mu.Unlock()
			if cursor == 0 || full {
				return nil
			}
		}
		return nil
	}
	var err error
	if cc, ok := p.Client.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scan(ctx, node) })
	} else {
		err = scan(ctx, p.Client)
	}
	return sampled, noTTL, err
}
