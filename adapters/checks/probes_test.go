package checks

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/redisstore/redistest"
)

func TestRedisProbe(t *testing.T) {
	c, keys := redistest.New(t)
	ctx := context.Background()
	for i := range 30 {
		if err := c.Set(ctx, keys.Plain(fmt.Sprintf("ttl:%d", i)), "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	forever := []string{keys.Plain("forever:a"), keys.Plain("forever:b")}
	for _, k := range forever {
		if err := c.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the prefix: never looked at.
	other := "onit:test:other:" + keys.Prefix
	if err := c.Set(ctx, other, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), other) })

	p := RedisProbe{Client: c}
	sampled, noTTL, err := p.KeysWithoutTTL(ctx, globEscape(keys.Prefix)+"*", 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(noTTL)
	if sampled != 32 || !slices.Equal(noTTL, forever) {
		t.Errorf("sampled %d, no TTL %v; want 32 and %v", sampled, noTTL, forever)
	}
	sampled, _, err = p.KeysWithoutTTL(ctx, globEscape(keys.Prefix)+"*", 5)
	if err != nil || sampled != 5 {
		t.Errorf("with limit 5: sampled %d, %v", sampled, err)
	}
}
