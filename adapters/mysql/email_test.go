package mysql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestOutboxContract(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	porttest.Outbox(t, func(t *testing.T) ports.Outbox {
		// Each case needs an empty outbox: empty the shared table.
		if _, err := db.NewDelete().TableExpr("email_outbox").Where("1 = 1").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		return adapter.NewOutbox(db)
	})
}

func TestPasswordResetRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.PasswordResetRepository(t, func(t *testing.T) (ports.PasswordResetRepository, ports.UserRepository) {
		db := mysqltest.New(t)
		return adapter.NewPasswordResetRepository(db), adapter.NewUserRepository(db)
	})
}

// TestUnitOfWorkRollsBackPasswordReset: a reset's token and its email are
// written together or not at all.
func TestUnitOfWorkRollsBackPasswordReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mysqltest.New(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	u, err := accounts.NewUser("reset-uow@example.com", "Uow", "en", now)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash = "old"
	if err := adapter.NewUserRepository(db).Create(ctx, &u); err != nil {
		t.Fatal(err)
	}
	uow := adapter.NewUnitOfWork(db, func(db bun.IDB) ports.Repos {
		return ports.Repos{PasswordResets: adapter.NewPasswordResetRepository(db), Outbox: adapter.NewOutbox(db)}
	})
	r := accounts.NewPasswordReset("tok", u, now, time.Hour)
	err = uow.Transact(ctx, func(ctx context.Context, repos ports.Repos) error {
		if err := repos.PasswordResets.Create(ctx, r); err != nil {
			return err
		}
		if err := repos.Outbox.Enqueue(ctx, email.Message{To: u.Email, Subject: "s", Body: "b"}, now); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Transact = %v, want the function's error", err)
	}
	if _, err := adapter.NewPasswordResetRepository(db).ByHash(ctx, r.TokenHash); err == nil {
		t.Fatal("the reset survived the rollback")
	}
	if got, _ := adapter.NewOutbox(db).ClaimDue(ctx, now, time.Minute, 10); len(got) != 0 {
		t.Fatalf("the email survived the rollback: %+v", got)
	}
}

var errBoom = errors.New("boom")
