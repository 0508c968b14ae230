package redisstore_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/redisstore"
	"github.com/onitapp/onit/adapters/redisstore/redistest"
	"github.com/onitapp/onit/env"
)

// production mirrors the production defaults (env/defaults.go) with an
// ElastiCache Serverless endpoint.
func production() env.Redis {
	return env.Redis{
		Addrs:             []string{"onit-abc.serverless.euw1.cache.amazonaws.com:6379"},
		Cluster:           true,
		RedisTLS:          true,
		Username:          "onit",
		RedisPassword:     "s3cret",
		DisableIdentity:   true,
		RedisDialTimeout:  2 * time.Second,
		RedisReadTimeout:  time.Second,
		RedisWriteTimeout: 1500 * time.Millisecond,
		PoolSize:          20,
	}
}

func TestNewClientSelectsClusterFromSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*env.Redis)
		cluster bool
	}{
		{"cluster with one endpoint", func(*env.Redis) {}, true},
		{"cluster with several seeds", func(r *env.Redis) { r.Addrs = []string{"a:6379", "b:6379"} }, true},
		{"single node", func(r *env.Redis) { r.Cluster = false }, false},
		{"single node with database", func(r *env.Redis) { r.Cluster, r.DB = false, 3 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := production()
			tt.edit(&cfg)
			c, err := redisstore.NewClient(cfg, nil)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			defer c.Close()
			switch c := c.(type) {
			case *redis.ClusterClient:
				if !tt.cluster {
					t.Fatalf("got a cluster client, want a single-node client")
				}
				o := c.Options()
				checkOptions(t, cfg, o.Username, o.Password, o.TLSConfig, o.DisableIdentity, o.ContextTimeoutEnabled,
					o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize)
			case *redis.Client:
				if tt.cluster {
					t.Fatalf("got a single-node client, want a cluster client")
				}
				o := c.Options()
				if o.DB != cfg.DB || o.Addr != cfg.Addrs[0] {
					t.Errorf("addr %q db %d, want %q %d", o.Addr, o.DB, cfg.Addrs[0], cfg.DB)
				}
				checkOptions(t, cfg, o.Username, o.Password, o.TLSConfig, o.DisableIdentity, o.ContextTimeoutEnabled,
					o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize)
			default:
				t.Fatalf("got %T", c)
			}
		})
	}
}

func checkOptions(t *testing.T, cfg env.Redis, user, pass string, tc *tls.Config, noIdentity, ctxTimeout bool,
	dial, read, write time.Duration, pool int) {
	t.Helper()
	if user != cfg.Username || pass != cfg.RedisPassword {
		t.Errorf("credentials %q/%q, want %q/%q", user, pass, cfg.Username, cfg.RedisPassword)
	}
	if !noIdentity || !ctxTimeout {
		t.Errorf("DisableIdentity %v, ContextTimeoutEnabled %v; want both true", noIdentity, ctxTimeout)
	}
	if dial != cfg.RedisDialTimeout || read != cfg.RedisReadTimeout || write != cfg.RedisWriteTimeout || pool != cfg.PoolSize {
		t.Errorf("timeouts %v/%v/%v pool %d, want %v/%v/%v %d", dial, read, write, pool,
			cfg.RedisDialTimeout, cfg.RedisReadTimeout, cfg.RedisWriteTimeout, cfg.PoolSize)
	}
	if tc == nil {
		t.Fatal("no TLS config")
	}
	if tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS MinVersion %x, want TLS 1.2", tc.MinVersion)
	}
	// One host: pinned; several: left to crypto/tls per dialled node.
	want := ""
	if len(cfg.Addrs) == 1 {
		want = "onit-abc.serverless.euw1.cache.amazonaws.com"
	}
	if tc.ServerName != want {
		t.Errorf("TLS ServerName %q, want %q", tc.ServerName, want)
	}
}

func TestNewClientWithoutTLS(t *testing.T) {
	t.Parallel()
	cfg := production()
	cfg.RedisTLS, cfg.Cluster = false, false
	c, err := redisstore.NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if tc := c.(*redis.Client).Options().TLSConfig; tc != nil {
		t.Errorf("TLS config %+v with RedisTLS off", tc)
	}
}

func TestNewClientRejectsBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*env.Redis)
	}{
		{"no address", func(r *env.Redis) { r.Addrs = nil }},
		{"address without port", func(r *env.Redis) { r.Addrs = []string{"redis.local"} }},
		{"address without host", func(r *env.Redis) { r.Addrs = []string{":6379"} }},
		{"several addresses without cluster", func(r *env.Redis) { r.Cluster, r.Addrs = false, []string{"a:1", "b:1"} }},
		{"database on a cluster", func(r *env.Redis) { r.DB = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := production()
			tt.edit(&cfg)
			c, err := redisstore.NewClient(cfg, nil)
			if err == nil {
				c.Close()
				t.Fatalf("NewClient(%+v) succeeded, want an error", cfg)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	up, _ := redistest.New(t)
	down, _ := redistest.NewDown(t)
	tests := []struct {
		name    string
		c       redis.UniversalClient
		wantErr bool
	}{
		{"up", up, false},
		{"down", down, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := redisstore.NewHealth(tt.c)
			if h.Name() != "redis" {
				t.Errorf("Name() = %q", h.Name())
			}
			if err := h.Ping(context.Background()); (err != nil) != tt.wantErr {
				t.Errorf("Ping() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

type observation struct {
	name string
	err  error
}

type recorder struct {
	mu  sync.Mutex
	got []observation
}

func (r *recorder) ObserveCommand(name string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d <= 0 {
		name += " (no duration)"
	}
	if name == "hello" {
		return // connection set-up, observed whenever the pool dials
	}
	r.got = append(r.got, observation{name, err})
}

func TestHookObservesRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		newC    func(testing.TB) (redis.UniversalClient, redisstore.Keys)
		run     func(redis.UniversalClient, redisstore.Keys)
		want    []string
		wantErr bool
	}{
		{
			name: "a miss is not an error",
			newC: redistest.New,
			run:  func(c redis.UniversalClient, k redisstore.Keys) { c.Get(ctx, k.Plain("absent")) },
			want: []string{"get"},
		},
		{
			name: "a pipeline is one round trip, its misses no error",
			newC: redistest.New,
			run: func(c redis.UniversalClient, k redisstore.Keys) {
				_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Get(ctx, k.Plain("absent"))
					p.Set(ctx, k.Plain("x"), 1, time.Minute)
					p.Get(ctx, k.Plain("x"))
					return nil
				})
			},
			want: []string{"pipeline"},
		},
		{
			name: "a pipeline error behind a miss is reported",
			newC: redistest.New,
			run: func(c redis.UniversalClient, k redisstore.Keys) {
				_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Get(ctx, k.Plain("absent"))
					p.Set(ctx, k.Plain("s"), "text", time.Minute)
					p.Incr(ctx, k.Plain("s")) // not an integer
					return nil
				})
			},
			want:    []string{"pipeline"},
			wantErr: true,
		},
		{
			name:    "an outage is an error",
			newC:    redistest.NewDown,
			run:     func(c redis.UniversalClient, k redisstore.Keys) { c.Get(ctx, k.Plain("absent")) },
			want:    []string{"get"},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, k := tt.newC(t)
			r := &recorder{}
			c.AddHook(redisstore.NewHook(r))
			tt.run(c, k)
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.got) != len(tt.want) {
				t.Fatalf("observed %v, want %v", r.got, tt.want)
			}
			for i, o := range r.got {
				if o.name != tt.want[i] || (o.err != nil) != tt.wantErr || errors.Is(o.err, redis.Nil) {
					t.Errorf("observation %d = %+v, want %q with error %v", i, o, tt.want[i], tt.wantErr)
				}
			}
		})
	}
}

func TestHookWithoutObserverPassesThrough(t *testing.T) {
	t.Parallel()
	c, k := redistest.New(t)
	c.AddHook(redisstore.NewHook(nil))
	ctx := context.Background()
	if err := c.Set(ctx, k.Plain("x"), "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, k.Plain("x")).Result(); err != nil || got != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, k.Plain("x")); return nil }); err != nil {
		t.Fatal(err)
	}
}

// The client's connection buffers are 4 KiB; replies and commands many
// times larger, alone and in a pipeline, still arrive whole.
func TestLargeValuesPassSmallBuffers(t *testing.T) {
	t.Parallel()
	c, k := redistest.New(t)
	ctx := context.Background()
	for _, size := range []int{0, 4095, 4096, 4097, 300 << 10} {
		key := k.Prefix + fmt.Sprint("large:", size)
		const pattern = "é\"x\r\n"
		value := strings.Repeat(pattern, size/len(pattern)+1)[:size]
		if err := c.Set(ctx, key, value, time.Minute).Err(); err != nil {
			t.Fatalf("SET %d bytes: %v", size, err)
		}
		got, err := c.Get(ctx, key).Result()
		if err != nil || got != value {
			t.Fatalf("GET %d bytes: %d bytes back, %v", size, len(got), err)
		}
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, key)
			p.Get(ctx, key)
			return nil
		})
		if err != nil {
			t.Fatalf("pipeline of %d bytes: %v", size, err)
		}
		for _, cmd := range cmds {
			if got := cmd.(*redis.StringCmd).Val(); got != value {
				t.Fatalf("pipelined GET %d bytes: %d bytes back", size, len(got))
			}
		}
	}
}
