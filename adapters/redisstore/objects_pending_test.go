package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/onitapp/onit/adapters/redisstore"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// A write that fails while Redis is away, which keeps its data, must not
// let the older copy be served once Redis answers again: the failed fill is
// replayed (or the key read as a miss) before the key is trusted.
func TestObjectCacheReplaysWritesThatFailedDuringAnOutage(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c, err := redisstore.NewClient(env.Redis{Addrs: []string{m.Addr()}, RedisDialTimeout: time.Second,
		RedisReadTimeout: time.Second, RedisWriteTimeout: time.Second, PoolSize: 2, DisableIdentity: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	oc := redisstore.NewObjectCache(c, redisstore.Keys{Prefix: "onit:"}, time.Minute, nil)
	ctx := context.Background()
	owner := ports.Access{ProjectID: 1, ProjectVersion: 1, UserID: 7, Role: dp.RoleOwner}
	oc.PutProject(ctx, project(1, 1, "p"), map[int64]dp.Role{7: dp.RoleOwner})
	oc.PutTask(ctx, task(2, 1, 1, "v1"), owner)
	oc.PutTask(ctx, task(3, 1, 1, "other"), owner)

	m.SetError("LOADING Redis is away") // every command fails; the data stays
	oc.PutTask(ctx, task(2, 1, 2, "v2"), owner)
	oc.DropTask(ctx, 1, 3)
	m.SetError("")

	for range 3 {
		if got, _, ok := oc.Task(ctx, 2, 7); ok && got.Title != "v2" {
			t.Fatalf("served %q (version %d) after the outage, want v2 or a miss", got.Title, got.Version)
		}
		if got, _, ok := oc.Task(ctx, 3, 7); ok {
			t.Fatalf("served deleted task %q after the outage", got.Title)
		}
		time.Sleep(150 * time.Millisecond) // past the replay spacing
	}
	if got, _, ok := oc.Task(ctx, 2, 7); !ok || got.Title != "v2" {
		t.Fatalf("after the replay: hit=%v title %q, want a hit on v2", ok, got.Title)
	}
	if _, _, ok := oc.Project(ctx, 1, 7); !ok {
		t.Fatal("the project is no longer served from the cache after the outage")
	}
}
