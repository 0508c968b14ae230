package mysql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/onitapp/onit/domain/accounts"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestSessionRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepository(t, func(t *testing.T) (ports.SessionRepository, ports.UserRepository) {
		db := mysqltest.New(t)
		return adapter.NewSessionRepository(db), adapter.NewUserRepository(db)
	})
}

func TestSessionRepositoryDetailsContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepositoryDetails(t, func(t *testing.T) (ports.SessionRepository, ports.UserRepository) {
		db := mysqltest.New(t)
		return adapter.NewSessionRepository(db), adapter.NewUserRepository(db)
	})
}

// TestUnitOfWorkRollsBackPasswordChange runs the write of
// accounts.Service.ChangePassword (new hash, other sessions deleted) in one
// unit of work that then fails: both changes must be undone.
func TestUnitOfWorkRollsBackPasswordChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mysqltest.New(t)
	users, sessions := adapter.NewUserRepository(db), adapter.NewSessionRepository(db)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	u, err := accounts.NewUser("uow@example.com", "Uow", "en", now)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash = "old"
	if err := users.Create(ctx, &u); err != nil {
		t.Fatal(err)
	}
	keep := accounts.NewSession("keep", u.ID, now, time.Hour)
	other := accounts.NewSession("other", u.ID, now, time.Hour)
	for _, s := range []accounts.Session{keep, other} {
		if err := sessions.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	uow := adapter.NewUnitOfWork(db, func(db bun.IDB) ports.Repos {
		return ports.Repos{Users: adapter.NewUserRepository(db), Sessions: adapter.NewSessionRepository(db)}
	})
	boom := errors.New("boom")
	err = uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if _, err := r.Users.Update(ctx, u.ID, func(u *accounts.User) error { u.PasswordHash = "new"; return nil }); err != nil {
			return err
		}
		removed, err := r.Sessions.DeleteForUser(ctx, u.ID, keep.TokenHash)
		if err != nil {
			return err
		}
		if len(removed) != 1 || removed[0] != other.TokenHash {
			t.Errorf("DeleteForUser = %v, want [%s]", removed, other.TokenHash)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transact = %v, want fn's error", err)
	}
	got, err := users.ByID(ctx, u.ID)
	if err != nil || got.PasswordHash != "old" {
		t.Fatalf("after rollback hash = %q, %v; want old", got.PasswordHash, err)
	}
	if _, err := sessions.ByHash(ctx, other.TokenHash); err != nil {
		t.Fatalf("after rollback the other session is gone: %v", err)
	}
}
