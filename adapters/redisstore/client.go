// Package redisstore implements Onit's Redis-backed ports: the login
// throttle (ports.Throttle) and the invalidation channel (ports.Revocations,
// Redis pub/sub), plus the client constructor, a readiness check and a
// metrics hook.
//
// Production runs on ElastiCache Serverless (Redis OSS 7.1): cluster protocol
// always, TLS only, a small command budget for the whole fleet and 1 GB of
// memory. Hence the rules every type here follows: every key has a TTL, each
// operation costs at most one round trip (one command or one pipeline), and
// no command, transaction or script ever touches keys in two hash slots.
// Pipelines may mix slots: the cluster client splits them per node.
package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/onitapp/onit/env"
)

// maxRetries bounds go-redis's retries of a failed command. One retry covers
// the common harmless case (a pooled connection closed by the server or by a
// failover); more would multiply the load on a struggling server, eat into a
// fleet-wide command budget, and delay the fall-back to MySQL that callers
// take on error.
const maxRetries = 1

// maxRedirects bounds the MOVED/ASK redirects a cluster command follows
// (go-redis's default is 3). During a reshard or failover one MOVED (the
// slot has a new owner) and one ASK (the slot is half migrated) are
// normal; a third means the topology is in flux, and MySQL answers sooner
// than a chase across nodes would, within the call's budget anyway.
const maxRedirects = 2

// The backoff before the one retry. go-redis's defaults (8 to 512 ms)
// exceed the call's budget of ONIT_REDIS_COMMAND_TIMEOUT; a retry is worth
// making only when it is quick, for a connection that was closed under us.
const (
	minRetryBackoff = 2 * time.Millisecond
	maxRetryBackoff = 10 * time.Millisecond
)

// dialAttempts replaces go-redis's five dial attempts per new connection
// (100 ms apart, each up to the dial timeout). While Redis is down every
// caller would sit through them before falling back to MySQL; one attempt
// fails fast, and go-redis probes the server in the background once the
// pool has seen PoolSize dial failures.
const dialAttempts = 1

// NewClient builds the client cfg describes without connecting (go-redis
// dials lazily). cfg.Cluster selects the cluster client even for a single
// address: ElastiCache Serverless hides a cluster behind one endpoint, and a
// plain client there would fail with MOVED errors under load instead of at
// start-up. Several addresses without cfg.Cluster are refused rather than
// silently reduced to the first.
//
// Every call gets its own budget (cfg.CommandTimeout) and every node its
// own circuit breaker (cfg.BreakerFailures, cfg.BreakerOpen); see
// breaker.go. log receives the breakers' state changes (nil: none).
func NewClient(cfg env.Redis, log *slog.Logger) (redis.UniversalClient, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("redisstore: no Redis address (ONIT_REDIS_ADDRS)")
	}
	hosts := make(map[string]bool, len(cfg.Addrs))
	var host string
	for _, a := range cfg.Addrs {
		h, _, err := net.SplitHostPort(a)
		if err != nil || h == "" {
			return nil, fmt.Errorf("redisstore: Redis address %q is not host:port", a)
		}
		hosts[h] = true
		host = h
	}

	var tlsConfig *tls.Config
	if cfg.RedisTLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		// With one host (a single node, or ElastiCache Serverless whose
		// nodes all answer under the endpoint name) the name is pinned so
		// that nodes announced by IP still verify. With several seed hosts
		// it is left empty: crypto/tls then checks each node against the
		// host name it was dialled by.
		if len(hosts) == 1 {
			tlsConfig.ServerName = host
		}
	}
	// Maintenance notifications are a Redis Enterprise/Cloud feature; in its
	// default "auto" mode go-redis would spend one rejected command on every
	// new ElastiCache connection finding that out.
	maint := &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}

	// Every connection's buffers are small because Onit's commands and
	// replies are (a session, a task's JSON, a throttle's counters); a
	// longer reply only takes more reads. With go-redis's defaults (32 KiB each
	// way, 128 KiB on its pipeline pool) the Redis connections were the
	// largest thing on a serving process's heap under load, about 2 MB.
	const connBuffer = 4 << 10

	// One set of options for both shapes, so the cluster and the single
	// node can never drift apart in timeouts, retries or TLS.
	opts := &redis.UniversalOptions{
		Addrs:                    cfg.Addrs,
		Username:                 cfg.Username,
		Password:                 cfg.RedisPassword,
		DB:                       cfg.DB,
		TLSConfig:                tlsConfig,
		DisableIdentity:          cfg.DisableIdentity,
		DialTimeout:              cfg.RedisDialTimeout,
		ReadTimeout:              cfg.RedisReadTimeout,
		WriteTimeout:             cfg.RedisWriteTimeout,
		ContextTimeoutEnabled:    true,
		PoolSize:                 cfg.PoolSize,
		ReadBufferSize:           connBuffer,
		WriteBufferSize:          connBuffer,
		PipelineReadBufferSize:   connBuffer,
		PipelineWriteBufferSize:  connBuffer,
		MaxRetries:               maxRetries,
		MinRetryBackoff:          minRetryBackoff,
		MaxRetryBackoff:          maxRetryBackoff,
		MaxRedirects:             maxRedirects,
		DialerRetries:            dialAttempts,
		MaintNotificationsConfig: maint,
	}
	breakers := BreakerConfig{Failures: cfg.BreakerFailures, Open: cfg.BreakerOpen}
	if cfg.Cluster {
		if cfg.DB != 0 {
			return nil, fmt.Errorf("redisstore: database %d requested, but a cluster only has database 0 (ONIT_REDIS_DB)", cfg.DB)
		}
		copts := opts.Cluster()
		// A node whose breaker opens may be a master that died: re-read
		// the slot map, so its promoted replica gets its slots.
		reloader := &clusterReloader{}
		breakers.onOpen = reloader.reload
		// One breaker per node: the cluster client makes a client per
		// node it learns of, and routes each command to one of them.
		copts.NewClient = func(o *redis.Options) *redis.Client {
			c := redis.NewClient(o)
			c.AddHook(newBreakerHook(o.Addr, breakers, log))
			return c
		}
		c := redis.NewClusterClient(copts)
		reloader.c.Store(c)
		c.AddHook(budgetHook{d: cfg.CommandTimeout})
		return c, nil
	}
	if len(cfg.Addrs) > 1 {
		return nil, fmt.Errorf("redisstore: %d Redis addresses given without cluster mode; set ONIT_REDIS_CLUSTER=true or give one address", len(cfg.Addrs))
	}
	c := redis.NewClient(opts.Simple())
	c.AddHook(budgetHook{d: cfg.CommandTimeout})
	c.AddHook(newBreakerHook(cfg.Addrs[0], breakers, log))
	return c, nil
}

// Health checks that Redis answers, for /readyz. Redis is a cache that Onit
// degrades without, so the wiring should report it without failing
// readiness: taking every instance out of the load balancer because the cache
// is down would turn a slowdown into an outage.
type Health struct {
	c redis.UniversalClient
}

// NewHealth returns the readiness check of c.
func NewHealth(c redis.UniversalClient) *Health { return &Health{c: c} }

// Name is the check's name in /readyz.
func (h *Health) Name() string { return "redis" }

// Ping sends one PING (to one node of a cluster: a round trip, not a census,
// so that probes stay cheap in the command budget). When a cluster's PING
// fails, the node it went to may be a master that has since been replaced;
// then the slot map is read again and every master of the new one is
// pinged, so a failed-over cluster reads as ready and a cluster with a
// master really gone does not.
func (h *Health) Ping(ctx context.Context) error {
	err := h.c.Ping(ctx).Err()
	if err == nil {
		return nil
	}
	if cc, ok := h.c.(*redis.ClusterClient); ok {
		// ForEachMaster reloads the slot map before it runs.
		if cerr := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			return n.Ping(ctx).Err()
		}); cerr == nil {
			return nil
		}
	}
	return fmt.Errorf("redis ping: %w", err)
}

// Observer receives one observation per round trip, for metrics. Name is the
// lower-case command name, or "pipeline" for a pipeline, so label values stay
// few. err is nil for a miss (redis.Nil), which is an answer, not a failure.
// The HELLO that sets up each new connection is observed too: it is a round
// trip and counts against the command budget like any other.
type Observer interface {
	ObserveCommand(name string, d time.Duration, err error)
}

// NewHook returns a go-redis hook reporting to o; install it with
// client.AddHook. On a cluster client it sees each command once, before the
// client routes it, so redirects and retries are inside the measured time. A
// nil o gives a hook that only passes calls through.
func NewHook(o Observer) redis.Hook { return observerHook{o: o} }

type observerHook struct{ o Observer }

var _ redis.Hook = observerHook{}

// DialHook passes dials through: dial failures surface in the command that
// needed the connection.
func (h observerHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook times one command.
func (h observerHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	if h.o == nil {
		return next
	}
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.o.ObserveCommand(cmd.Name(), time.Since(start), failure(err))
		return err
	}
}

// ProcessPipelineHook times a pipeline as one round trip, since that is what
// it costs in latency (on a cluster, one per node, sent in parallel).
func (h observerHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	if h.o == nil {
		return next
	}
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.o.ObserveCommand("pipeline", time.Since(start), pipelineFailure(err, cmds))
		return err
	}
}

// pipelineFailure is the pipeline's first real error. go-redis returns the
// first command error, which may be a miss hiding a later failure.
func pipelineFailure(err error, cmds []redis.Cmder) error {
	if err = failure(err); err != nil {
		return err
	}
	for _, c := range cmds {
		if err := failure(c.Err()); err != nil {
			return err
		}
	}
	return nil
}

// failure drops redis.Nil, which go-redis reports as an error for a missing
// key (and for a pipeline whose first failed command is such a miss), and
// the NOSCRIPT reply of an EVALSHA: go-redis's Script.Run then sends the
// script with EVAL, so a script's first use on each node (and after a
// restart or failover) is routine, not an error worth an alert.
func failure(err error) error {
	if errors.Is(err, redis.Nil) || redis.HasErrorPrefix(err, "NOSCRIPT") {
		return nil
	}
	return err
}
