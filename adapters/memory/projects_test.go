package memory_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

var userSeq atomic.Int64

func TestProjectRepositories(t *testing.T) {
	users := memory.NewUserRepository()
	s := memory.NewProjectsStore(users)
	repos := ports.Repos{Users: users, Projects: s.Projects(), Members: s.Members(), Tasks: s.Tasks(),
		Comments: s.Comments(), Idempotency: s.Idempotency()}
	porttest.ProjectRepositories(t, porttest.ProjectsFixture{
		Repos: repos,
		UoW:   snapshotUoW{s: s, repos: repos},
		NewUser: func(t *testing.T) int64 {
			t.Helper()
			u, err := accounts.NewUser(fmt.Sprintf("u%d@example.com", userSeq.Add(1)), "U", "en", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := users.Create(context.Background(), &u); err != nil {
				t.Fatal(err)
			}
			return u.ID
		},
	})
}

// snapshotUoW is the smallest unit of work over a ProjectsStore: restore the
// snapshot when fn fails. (The real memory unit of work is the lead's.)
type snapshotUoW struct {
	s     *memory.ProjectsStore
	repos ports.Repos
}

func (u snapshotUoW) Transact(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	restore := u.s.Snapshot()
	if err := fn(ctx, u.repos); err != nil {
		restore()
		return err
	}
	return nil
}
