package checks

import (
	"context"
	"fmt"
	"time"
)

// maxCacheTTL is the longest ONIT_CACHE_TTL that passes: every write is
// announced to every instance, but an announcement that dies with its
// process (after the commit, before the retry succeeds) is covered only by
// the copies' expiry.
const maxCacheTTL = 5 * time.Minute

// checkInstanceCaches looks at the instance caches of projects and tasks
// (adapters/localcache.Objects): off, every warm read costs a MySQL
// statement; kept long, a lost announcement is served stale that long.
func checkInstanceCaches(_ context.Context, in Input) []Finding {
	r := in.Config.Redis
	var out []Finding
	if r.CacheSize <= 0 {
		out = append(out, newFinding("onit.W090", "ONIT_CACHE_SIZE is 0, so instances keep no copy of projects and tasks: every read costs a MySQL statement.",
			"Leave ONIT_CACHE_SIZE at its default (10000) unless memory is that tight."))
	}
	if r.CacheTTL > maxCacheTTL {
		out = append(out, newFinding("onit.W091", fmt.Sprintf("ONIT_CACHE_TTL is %v: a write whose announcement was lost with its process (a crash right after the commit) is served stale by other instances for up to that long.", r.CacheTTL),
			fmt.Sprintf("Keep ONIT_CACHE_TTL at %v or less (default 1m).", maxCacheTTL)))
	}
	return out
}
