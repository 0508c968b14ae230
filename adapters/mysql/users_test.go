package mysql_test

import (
	"context"
	"testing"
	"time"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestUserRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.UserRepository(t, func(t *testing.T) ports.UserRepository {
		return adapter.NewUserRepository(mysqltest.New(t))
	})
}

func TestUserRepositoryConcurrentUpdates(t *testing.T) {
	t.Parallel()
	porttest.UserRepositoryConcurrent(t, func(t *testing.T) ports.UserRepository {
		db := mysqltest.New(t)
		mysqltest.RequireInnoDB(t, db)
		return adapter.NewUserRepository(db)
	})
}

// Login's last_login update runs in its own transaction: a deadline that
// passes while it is open answers 503 (Unavailable with RetryAfter), never
// 500, whichever statement or the COMMIT notices it.
func TestUserRepositoryUpdatePastDeadlineIsUnavailable(t *testing.T) {
	t.Parallel()
	repo := adapter.NewUserRepository(mysqltest.New(t))
	u := &accounts.User{Email: "slow@example.com", EmailKey: "slow@example.com",
		PasswordHash: "!", IsActive: true, DateJoined: time.Now().UTC().Truncate(time.Microsecond)}
	if err := repo.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := repo.Update(ctx, u.ID, func(u *accounts.User) error {
		waitPastDeadline(ctx)
		now := time.Now().UTC()
		u.LastLogin = &now
		return nil
	})
	requireUnavailable(t, err)
}
