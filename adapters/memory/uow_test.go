package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/domain/accounts"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func newMemoryRepos() (*memory.ProjectsStore, ports.Repos) {
	users := memory.NewUserRepository()
	s := memory.NewProjectsStore(users)
	return s, ports.Repos{Users: users, Sessions: memory.NewSessionRepository(), Projects: s.Projects(),
		Members: s.Members(), Tasks: s.Tasks(), Comments: s.Comments(), Idempotency: s.Idempotency()}
}

// TestUnitOfWorkContract runs the projects contract, whose unit-of-work
// cases roll back across two repositories, with the real memory unit of work.
func TestUnitOfWorkContract(t *testing.T) {
	s, repos := newMemoryRepos()
	porttest.ProjectRepositories(t, porttest.ProjectsFixture{
		Repos: repos,
		UoW:   memory.NewUnitOfWork(s, repos),
		NewUser: func(t *testing.T) int64 {
			t.Helper()
			u, err := accounts.NewUser(fmt.Sprintf("uow%d@example.com", userSeq.Add(1)), "U", "en", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := repos.Users.Create(context.Background(), &u); err != nil {
				t.Fatal(err)
			}
			return u.ID
		},
	})
}

func TestUnitOfWorkRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, repos := newMemoryRepos()
	uow := memory.NewUnitOfWork(s, repos)
	func() {
		defer func() { _ = recover() }()
		_ = uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			p := dp.Project{Name: "doomed", OwnerID: 1, Version: 1}
			if err := r.Projects.Create(ctx, &p); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
	}()
	if got, _ := repos.Projects.ListForUser(ctx, 1, 0, 10); len(got) != 0 {
		t.Fatalf("a panicking transaction left %d projects", len(got))
	}
	// And the unit of work is usable afterwards (its lock was released).
	if err := uow.Transact(ctx, func(context.Context, ports.Repos) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestUnitOfWorkSerialises checks that a rollback never undoes another
// transaction's committed write, which a snapshot restore would do if two
// transactions overlapped.
func TestUnitOfWorkSerialises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, repos := newMemoryRepos()
	uow := memory.NewUnitOfWork(s, repos)
	u, err := accounts.NewUser("owner@example.com", "Owner", "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := repos.Users.Create(ctx, &u); err != nil {
		t.Fatal(err)
	}
	errFail := errors.New("fail")
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			_ = uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
				p := dp.Project{Name: fmt.Sprint("p", i), OwnerID: u.ID, Version: 1}
				if err := r.Projects.Create(ctx, &p); err != nil {
					return err
				}
				if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: u.ID, Role: dp.RoleOwner}); err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // overlap with the others, if they may
				if i%2 == 1 {
					return errFail
				}
				return nil
			})
		})
	}
	wg.Wait()
	if got, _ := repos.Projects.ListForUser(ctx, u.ID, 0, 100); len(got) != 20 {
		t.Fatalf("%d projects survived, want the 20 committed ones", len(got))
	}
}
