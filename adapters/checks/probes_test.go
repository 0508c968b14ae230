package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
)

func TestMySQLProbe(t *testing.T) {
	db := mysqltest.New(t)
	p := MySQLProbe{DB: db}
	ctx := context.Background()
	f, err := p.Flavor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("PendingMigrations = %d, %v on a migrated database", n, err)
	}
	if f == mysql.FlavorEmbedded {
		t.Skip("the embedded engine has no real sql_mode or max_connections; run with ONIT_TEST_MYSQL_DSN")
	}
	mode, err := p.SQLMode(ctx)
	if err != nil || !strings.Contains(mode, "STRICT_TRANS_TABLES") {
		t.Errorf("SQLMode = %q, %v: Onit's pool sets a strict mode", mode, err)
	}
	if n, err := p.MaxConnections(ctx); err != nil || n < 1 {
		t.Errorf("MaxConnections = %d, %v", n, err)
	}
	// The real probe passes the checks that use it.
	in := goodProduction()
	in.DB = p
	if got := Run(ctx, in, true); len(got) > 0 {
		t.Errorf("findings against the test server: %+v", got)
	}
}

func TestMySQLProbePending(t *testing.T) {
	db, err := mysql.Open(context.Background(), mysqltest.Settings(mysqltest.DSN(t)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	n, err := MySQLProbe{DB: db}.PendingMigrations(context.Background())
	if err != nil || n < 1 {
		t.Errorf("PendingMigrations on an empty database = %d, %v; want ≥ 1", n, err)
	}
}

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
