package mysql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// seedProject gives db a user and one project of that user named name, and
// returns the user's ID.
func seedProject(t *testing.T, db *bun.DB, name string) int64 {
	t.Helper()
	ctx := context.Background()
	uid := newUser(t, db)
	p, err := dp.NewProject(name, "", uid, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := adapter.NewProjectRepository(db).Create(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if err := adapter.NewMemberRepository(db).Add(ctx, dp.Member{ProjectID: p.ID, UserID: uid, Role: dp.RoleOwner, JoinedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return uid
}

// The router sends lists to the replica only while it is usable and the
// caller has not just written, and a replica failing a query costs no
// error: the primary answers. Two databases stand in for the primary and
// the replica, each with a project of its own name, so the answer says
// which pool served it.
func TestReadRouterChoosesThePool(t *testing.T) {
	ctx := context.Background()
	primary, replica := mysqltest.New(t), mysqltest.New(t)
	uid := seedProject(t, primary, "on-primary")
	if got := seedProject(t, replica, "on-replica"); got != uid {
		t.Skipf("the two databases gave the user IDs %d and %d", uid, got)
	}
	list := func(t *testing.T, rr *adapter.ReadRouter, ctx context.Context) string {
		t.Helper()
		ps, err := adapter.NewProjectRepository(primary).ReadingFrom(rr).ListForUser(ctx, uid, 0, 10)
		if err != nil {
			t.Fatalf("ListForUser: %v", err)
		}
		if len(ps) != 1 {
			t.Fatalf("ListForUser = %d projects, want 1", len(ps))
		}
		return ps[0].Project.Name
	}
	cfg := adapter.ReplicaConfig{MaxLag: 2 * time.Second}
	tests := []struct {
		name   string
		status adapter.ReplicaStatus
		ctx    context.Context
		want   string
	}{
		{"usable replica", adapter.ReplicaStatus{Configured: true, Up: true, Lag: time.Second}, ctx, "on-replica"},
		{"lag above the threshold", adapter.ReplicaStatus{Configured: true, Up: true, Lag: 3 * time.Second}, ctx, "on-primary"},
		{"replica down", adapter.ReplicaStatus{Configured: true, Err: errors.New("down")}, ctx, "on-primary"},
		{"caller has just written", adapter.ReplicaStatus{Configured: true, Up: true}, ports.WithPrimaryReads(ctx), "on-primary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := adapter.NewReadRouter(primary, replica, cfg, nil)
			rr.SetReplicaStatus(tt.status)
			if got := list(t, rr, tt.ctx); got != tt.want {
				t.Errorf("served %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("no replica configured", func(t *testing.T) {
		if got := list(t, adapter.NewReadRouter(primary, nil, cfg, nil), ctx); got != "on-primary" {
			t.Errorf("served %q, want on-primary", got)
		}
	})
	t.Run("replica fails mid-query", func(t *testing.T) {
		gone := mysqltest.New(t)
		rr := adapter.NewReadRouter(primary, gone, cfg, nil)
		rr.SetReplicaStatus(adapter.ReplicaStatus{Configured: true, Up: true})
		_ = gone.Close()
		if got := list(t, rr, ctx); got != "on-primary" {
			t.Errorf("served %q, want on-primary", got)
		}
		if rr.Status().Usable {
			t.Error("the replica is still usable after failing a query")
		}
		if _, _, fallbacks := rr.Reads(); fallbacks != 1 {
			t.Errorf("fallbacks = %d, want 1", fallbacks)
		}
	})
	t.Run("a writable server that does not replicate is not used", func(t *testing.T) {
		mysqltest.RequireInnoDB(t, replica)
		rr := adapter.NewReadRouter(primary, replica, cfg, nil)
		st := rr.Poll(ctx)
		if st.Usable || !errors.Is(st.Err, adapter.ErrNotReplica) {
			t.Errorf("Poll = %+v, want not usable with ErrNotReplica", st)
		}
	})
}
