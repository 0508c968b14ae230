package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// revocationBound is the promise: once a logout or password change
// has answered, every instance refuses the token within a second.
const revocationBound = time.Second

// redisWriteFaults are the ways Redis refuses or withholds writes while it
// still answers reads and keeps subscriptions alive, which is when a lost
// announcement could go unnoticed: a full node with noeviction (writes
// refused; PUBLISH still passes) and CLIENT PAUSE WRITE (ElastiCache
// throttling and failovers look like it: writes, PUBLISH included, wait).
var redisWriteFaults = []struct {
	name       string
	start, end func(ctx context.Context, s *stack) error
}{
	{"maxmemory noeviction",
		func(ctx context.Context, s *stack) error {
			if err := s.redis.client.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
				return err
			}
			return s.redis.client.ConfigSet(ctx, "maxmemory", "1").Err()
		},
		func(ctx context.Context, s *stack) error {
			return s.redis.client.ConfigSet(ctx, "maxmemory", "0").Err()
		}},
	{"CLIENT PAUSE WRITE",
		func(ctx context.Context, s *stack) error {
			return s.redis.client.Do(ctx, "CLIENT", "PAUSE", "10000", "WRITE").Err()
		},
		func(ctx context.Context, s *stack) error { return s.redis.client.Do(ctx, "CLIENT", "UNPAUSE").Err() }},
}

// Two instances on one MariaDB and one Redis; Redis refuses or withholds
// writes while a session is logged out (or revoked by a password change)
// on instance A. Both instances must refuse the token within a second of
// the answer, keep refusing it while the fault lasts, and after it ends.
func TestRevocationSticksWhenRedisRefusesWrites(t *testing.T) {
	for _, fault := range redisWriteFaults {
		for _, how := range []string{"logout", "password change"} {
			t.Run(fault.name+"/"+how, func(t *testing.T) {
				s := newStack(t, nil)
				addrB := fmt.Sprintf("127.0.0.1:%d", freePort(t))
				settings := baseSettings(s.db, s.redis, addrB)
				onitB := startOnit(t, settings)
				apiB := newAPI(addrB)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()

				keeper := s.api.signUp(t, "keeper@example.com")
				victim := s.api.login(t, "keeper@example.com")
				// Warm both instances' local caches with the victim session.
				for range 5 {
					for _, a := range []*api{s.api, apiB} {
						must(t, "GET /me before", a.call("GET", "/api/v1/me", nil, hangLimit, bearer(victim)...), http.StatusOK, nil)
					}
					time.Sleep(50 * time.Millisecond)
				}

				if err := fault.start(ctx, s); err != nil {
					t.Fatalf("starting the fault: %v", err)
				}
				faultOn := true
				defer func() {
					if faultOn {
						_ = fault.end(context.Background(), s)
					}
				}()
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
				for time.Since(answered) < 3*revocationBound && len(refusedAt) < 2 {
					for name, a := range map[string]*api{"A": s.api, "B": apiB} {
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
					for name, a := range map[string]*api{"A": s.api, "B": apiB} {
						if got := a.call("GET", "/api/v1/me", nil, hangLimit, bearer(victim)...); got.status != http.StatusUnauthorized {
							t.Errorf("%s: instance %s answered GET /me with the revoked token: %d", when, name, got.status)
						}
						if got := a.call("POST", "/api/v1/projects", map[string]any{"name": "after revocation"}, hangLimit, bearer(victim)...); got.status != http.StatusUnauthorized {
							t.Errorf("%s: instance %s answered POST /projects with the revoked token: %d", when, name, got.status)
						}
					}
				}
				check("during the fault")
				if err := fault.end(ctx, s); err != nil {
					t.Fatalf("ending the fault: %v", err)
				}
				faultOn = false
				for range 10 { // the retried announcements land now; nothing may come back
					check("after the fault")
					time.Sleep(100 * time.Millisecond)
				}
				if how == "password change" {
					must(t, "the kept session", s.api.call("GET", "/api/v1/me", nil, hangLimit, bearer(keeper)...), http.StatusOK, nil)
				}
				s.onit.checkNoPanic(t)
				onitB.checkNoPanic(t)
			})
		}
	}
}
