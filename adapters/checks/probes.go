package checks

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/migrations"
)

// MySQLProbe answers Database over a pool opened by adapters/mysql.Open.
type MySQLProbe struct {
	DB  *bun.DB
	Log *slog.Logger // for the migration runner; nil: slog.Default
}

var _ Database = MySQLProbe{}

// Flavor implements Database.
func (p MySQLProbe) Flavor(ctx context.Context) (mysql.Flavor, error) {
	return mysql.DetectFlavor(ctx, p.DB)
}

// SQLMode implements Database. It asks a pooled connection, so it sees
// the mode Onit's connections really run with.
func (p MySQLProbe) SQLMode(ctx context.Context) (string, error) {
	var mode string
	err := p.DB.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode)
	return mode, mysql.MapError(err)
}

// MaxConnections implements Database.
func (p MySQLProbe) MaxConnections(ctx context.Context) (int, error) {
	var n int
	err := p.DB.QueryRowContext(ctx, "SELECT @@GLOBAL.max_connections").Scan(&n)
	return n, mysql.MapError(err)
}

// PendingMigrations implements Database.
func (p MySQLProbe) PendingMigrations(ctx context.Context) (int, error) {
	r, err := migrations.NewRunner(p.DB.DB, p.Log)
	if err != nil {
		return 0, err
	}
	return r.Pending(ctx)
}

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
