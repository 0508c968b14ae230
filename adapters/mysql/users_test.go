package mysql_test

import (
	"testing"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
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
