package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/adapters/redisstore"
)

// revocationBound is the promise: once a logout or password change
// has answered, every instance refuses the token within a second.
const revocationBound = time.Second

// writeFault is one way a Redis node refuses or withholds writes while it
// still answers reads and keeps subscriptions alive, which is when a lost
// announcement could go unnoticed. start applies it to one node, end lifts
// it (and is harmless on a node without it).
type writeFault struct {
	name       string
	start, end func(ctx context.Context, c *redis.Client) error
}

// redisWriteFaults: a full node with noeviction (writes refused; PUBLISH
// still passes) and CLIENT PAUSE WRITE (ElastiCache throttling and
// failovers look like it: writes, PUBLISH included, wait).
var redisWriteFaults = []writeFault{
	{"maxmemory noeviction",
		func(ctx context.Context, c *redis.Client) error {
			if err := c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
				return err
			}
			return c.ConfigSet(ctx, "maxmemory", "1").Err()
		},
		func(ctx context.Context, c *redis.Client) error { return c.ConfigSet(ctx, "maxmemory", "0").Err() }},
	{"CLIENT PAUSE WRITE",
		func(ctx context.Context, c *redis.Client) error {
			return c.Do(ctx, "CLIENT", "PAUSE", "10000", "WRITE").Err()
		},
		func(ctx context.Context, c *redis.Client) error { return c.Do(ctx, "CLIENT", "UNPAUSE").Err() }},
}

// liftAll ends every write fault on every node: the state each subtest of
// a shared cluster starts from.
func liftAll(ctx context.Context, nodes []*redisServer) error {
	var errs []error
	for _, f := range redisWriteFaults {
		for _, n := range nodes {
			errs = append(errs, f.end(ctx, n.client))
		}
	}
	return errors.Join(errs...)
}

// peer is a second onit on a stack's services.
type peer struct {
	onit *onitProc
	api  *api
}

// startPeer runs another onit on s's MariaDB and Redis, with the settings
// edited by edit (nil: none).
func startPeer(t *testing.T, s *stack, edit func(map[string]string)) peer {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	settings := baseSettings(s.db, s.redis, addr)
	if edit != nil {
		edit(settings)
	}
	return peer{startOnit(t, settings), newAPI(addr)}
}

// Two instances on one MariaDB and one Redis; Redis refuses or withholds
// writes while a session is logged out (or revoked by a password change)
// on instance A. Both instances must refuse the token within a second of
// the answer, keep refusing it while the fault lasts, and after it ends.
func TestRevocationSticksWhenRedisRefusesWrites(t *testing.T) {
	s := newStack(t, nil)
	b := startPeer(t, s, nil)
	nodes := []*redisServer{s.redis}
	revocationMatrix(t, s, b, nodes, []faultScope{{"", nodes}})
}

// The same on a Redis Cluster of three masters, with the fault on every
// master and on the master owning the revocation channel's slot alone
// (where both instances' subscriptions live). Onit writes nothing else to
// Redis on a logout; a password change also counts the current password's
// check on the account's throttle key, wherever its slot is. go-redis
// sends PUBLISH, a keyless command to it, to the masters in turn, so with
// the fault on one master the revocation's PUBLISH lands there only when
// its turn says so; with the fault on every master it always does.
func TestRevocationSticksWhenAClusterRefusesWrites(t *testing.T) {
	prepare(t)
	nodes := startRedisCluster(t, 3)
	edit := onCluster(nodes)
	s := newStack(t, edit)
	b := startPeer(t, s, edit)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The default key prefix, as baseSettings leaves it.
	channel := redisstore.Keys{}.RevocationChannel()
	owner := slotOwner(ctx, t, nodes, channel)
	t.Logf("channel %s: slot owned by %s", channel, owner.addr())
	// Both subscriptions live on the owner, or the second scope would not
	// be the one it claims.
	if ok, msg := waitUntil(5*time.Second, func() (bool, string) {
		n, err := pubsubClients(ctx, owner)
		return n >= 2, fmt.Sprintf("%d subscription connections on %s (%v)", n, owner.addr(), err)
	}); !ok {
		t.Fatalf("the instances do not subscribe on the channel's master: %s", msg)
	}
	subs := make([]string, len(nodes))
	for i, n := range nodes {
		c, _ := pubsubClients(ctx, n)
		subs[i] = fmt.Sprintf("%s %d", n.addr(), c)
	}
	t.Logf("subscription connections per node: %s", strings.Join(subs, ", "))
	revocationMatrix(t, s, b, nodes, []faultScope{
		{"every master", nodes},
		{"the channel's master", []*redisServer{owner}},
	})
}

// faultScope names the nodes a fault is applied to.
type faultScope struct {
	name  string
	nodes []*redisServer
}

// revocationMatrix runs revocationSticks for every scope, fault and way of
// revoking, on one stack and one peer (each subtest has its own user and
// starts with every fault lifted on every node), and logs where the
// PUBLISHes went.
func revocationMatrix(t *testing.T, s *stack, b peer, nodes []*redisServer, scopes []faultScope) {
	t.Helper()
	i := 0
	for _, scope := range scopes {
		for _, fault := range redisWriteFaults {
			for _, how := range []string{"logout", "password change"} {
				i++
				name := fault.name + "/" + how
				if scope.name != "" {
					name = scope.name + "/" + name
				}
				t.Run(name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := liftAll(ctx, nodes); err != nil {
						t.Fatalf("lifting the faults of the previous subtest: %v", err)
					}
					before := publishes(ctx, nodes)
					revocationSticks(t, s, b, how, fmt.Sprintf("user%d@example.com", i), fault, scope.nodes)
					after := publishes(ctx, nodes)
					per := make([]string, len(nodes))
					for j, n := range nodes {
						per[j] = fmt.Sprintf("%s %d", n.addr(), after[j]-before[j])
					}
					t.Logf("PUBLISHes per node during the subtest: %s", strings.Join(per, ", "))
				})
			}
		}
	}
}

// slotOwner is the master serving name's slot.
func slotOwner(ctx context.Context, t *testing.T, nodes []*redisServer, name string) *redisServer {
	t.Helper()
	slot, err := nodes[0].client.ClusterKeySlot(ctx, name).Result()
	if err != nil {
		t.Fatal(err)
	}
	shards, err := nodes[0].client.ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards {
		for _, r := range sh.Slots {
			if slot < r.Start || slot > r.End {
				continue
			}
			for _, m := range sh.Nodes {
				for _, n := range nodes {
					if m.Role == "master" && m.Port == int64(n.port) {
						return n
					}
				}
			}
		}
	}
	t.Fatalf("no node owns slot %d of %s: %+v", slot, name, shards)
	return nil
}

// pubsubClients is the number of subscription connections on n.
func pubsubClients(ctx context.Context, n *redisServer) (int, error) {
	list, err := n.client.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil {
		return 0, err
	}
	return strings.Count(list, "\n"), nil
}

// publishes is each node's count of PUBLISH commands so far (from INFO
// commandstats; -1 when unreadable).
func publishes(ctx context.Context, nodes []*redisServer) []int64 {
	out := make([]int64, len(nodes))
	for i, n := range nodes {
		out[i] = -1
		info, err := n.client.Info(ctx, "commandstats").Result()
		if err != nil {
			continue
		}
		out[i] = 0
		for line := range strings.SplitSeq(info, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_publish:calls="); ok {
				calls, _, _ := strings.Cut(rest, ",")
				_, _ = fmt.Sscan(calls, &out[i])
			}
		}
	}
	return out
}

// revocationSticks is the test: a user (email) logs in twice on s's
// instance A; both A and b serve the second session from memory; the
// fault starts on nodes; the second session is logged out, or revoked by
// a password change from the first, on A; both instances refuse it within
// revocationBound of the answer, during the fault and after it is lifted.
func revocationSticks(t *testing.T, s *stack, b peer, how, email string, fault writeFault, nodes []*redisServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	instances := map[string]*api{"A": s.api, "B": b.api}

	keeper := s.api.signUp(t, email)
	victim := s.api.login(t, email)
	// Warm both instances' local caches with the victim session, then make
	// sure they serve it from there: the revocation must reach the cached
	// copies, not only the rows.
	for range 5 {
		for _, a := range instances {
			must(t, "GET /me before", a.call("GET", "/api/v1/me", nil, hangLimit, bearer(victim)...), http.StatusOK, nil)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ok, msg := servesSessionFromMemory(t, s, instances, victim, email, 10*time.Second); !ok {
		t.Fatalf("the session is not served from memory before the fault: %s", msg)
	}

	startErr := make([]error, len(nodes))
	for i, n := range nodes {
		startErr[i] = fault.start(ctx, n.client)
	}
	faultOn := true
	lift := func(ctx context.Context) error {
		var errs []error
		for _, n := range nodes {
			errs = append(errs, fault.end(ctx, n.client))
		}
		faultOn = false
		return errors.Join(errs...)
	}
	defer func() {
		if faultOn {
			_ = lift(context.Background())
		}
	}()
	if err := errors.Join(startErr...); err != nil {
		t.Fatalf("starting the fault: %v", err)
	}

	var r result
	if how == "logout" {
		r = s.api.call("POST", "/api/v1/auth/logout", nil, hangLimit, bearer(victim)...)
		must(t, "logout", r, http.StatusNoContent, nil)
	} else {
		r = s.api.call("POST", "/api/v1/me/password", map[string]any{
			"current_password": userPassword, "new_password": "an entirely new passphrase"}, hangLimit, bearer(keeper)...)
		must(t, "password change", r, http.StatusNoContent, nil)
	}
	answered := r.start.Add(r.dur)
	t.Logf("%s answered in %v during the fault", how, r.dur.Round(time.Millisecond))

	// Both instances refuse the token within the bound.
	refusedAt := map[string]time.Duration{}
	for time.Since(answered) < 3*revocationBound && len(refusedAt) < len(instances) {
		for name, a := range instances {
			if _, done := refusedAt[name]; done {
				continue
			}
			if got := a.call("GET", "/api/v1/me", nil, hangLimit, bearer(victim)...); got.status == http.StatusUnauthorized {
				refusedAt[name] = time.Since(answered)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, name := range []string{"A", "B"} {
		d, ok := refusedAt[name]
		switch {
		case !ok:
			t.Errorf("instance %s still accepts the revoked token %v after the %s answered", name, 3*revocationBound, how)
		case d > revocationBound:
			t.Errorf("instance %s refused the revoked token only %v after the %s answered, bound %v", name, d.Round(time.Millisecond), how, revocationBound)
		default:
			t.Logf("instance %s refuses the token %v after the answer", name, d.Round(time.Millisecond))
		}
	}
	check := func(when string) {
		t.Helper()
		for name, a := range instances {
			if got := a.call("GET", "/api/v1/me", nil, hangLimit, bearer(victim)...); got.status != http.StatusUnauthorized {
				t.Errorf("%s: instance %s answered GET /me with the revoked token: %d", when, name, got.status)
			}
			if got := a.call("POST", "/api/v1/projects", map[string]any{"name": "after revocation"}, hangLimit, bearer(victim)...); got.status != http.StatusUnauthorized {
				t.Errorf("%s: instance %s answered POST /projects with the revoked token: %d", when, name, got.status)
			}
		}
	}
	check("during the fault")
	if err := lift(ctx); err != nil {
		t.Fatalf("ending the fault: %v", err)
	}
	for range 10 { // the retried announcements land now; nothing may come back
		check("after the fault")
		time.Sleep(100 * time.Millisecond)
	}
	if how == "password change" {
		must(t, "the kept session", s.api.call("GET", "/api/v1/me", nil, hangLimit, bearer(keeper)...), http.StatusOK, nil)
	}
	s.onit.checkNoPanic(t)
	b.onit.checkNoPanic(t)
}

// servesSessionFromMemory reports whether every instance serves token's
// session from its own cache within the given time: the user's name
// changed straight in MySQL (no announcement) is not seen. Each try puts a
// new name in MySQL, so a name cached by an earlier try still counts; the
// real name is put back at the end. msg names the instances that did not.
func servesSessionFromMemory(t *testing.T, s *stack, instances map[string]*api, token, email string, within time.Duration) (bool, string) {
	t.Helper()
	db := s.db.mustOpen(t)
	defer db.Close()
	ctx := context.Background()
	name := func(a *api) (string, bool) {
		var me struct {
			Name string `json:"name"`
		}
		r := a.call("GET", "/api/v1/me", nil, hangLimit, bearer(token)...)
		if r.status != http.StatusOK || json.Unmarshal(r.body, &me) != nil {
			return fmt.Sprintf("GET /me: %d %v", r.status, r.err), false
		}
		return me.Name, true
	}
	setName := func(n string) {
		if _, err := db.ExecContext(ctx, "UPDATE onit.users SET name = ? WHERE email_key = ?", n, strings.ToLower(email)); err != nil {
			t.Fatal(err)
		}
	}
	own, ok := name(s.api)
	if !ok {
		t.Fatal(own)
	}
	defer setName(own)
	try := 0
	return waitUntil(within, func() (bool, string) {
		try++
		setName(own)
		seen := map[string]string{}
		for n, a := range instances {
			seen[n], _ = name(a) // fills the cache when it is trusted
		}
		behind := fmt.Sprintf("behind the back %d", try)
		setName(behind)
		var not []string
		for n, a := range instances {
			if got, ok := name(a); !ok || got != seen[n] || got == behind {
				not = append(not, fmt.Sprintf("%s (%q then %q)", n, seen[n], got))
			}
		}
		return len(not) == 0, "not from memory on " + strings.Join(not, ", ")
	})
}
