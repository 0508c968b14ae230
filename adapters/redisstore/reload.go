package redisstore

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// clusterReloader makes a cluster client re-read its slot map when a node's
// breaker opens. go-redis re-reads it on its own only after a MOVED or ASK
// reply, which a dead node never sends, and otherwise once a minute
// (ClusterStateReloadInterval): after a master dies and its replica is
// promoted, the client would keep sending that master's slots to the dead
// address for up to a minute, each call failing over to MySQL. Reloading
// when a breaker opens (and again each time its probe fails) finds the
// promotion within about one ONIT_REDIS_BREAKER_OPEN of it.
type clusterReloader struct {
	c atomic.Pointer[redis.ClusterClient]
}

// reload asks for a new slot map. go-redis loads it in the background,
// coalescing concurrent requests (LazyReload), so a breaker's state change
// never waits on it.
func (r *clusterReloader) reload() {
	if c := r.c.Load(); c != nil {
		c.ReloadState(context.Background())
	}
}
