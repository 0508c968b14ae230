package mysql_test

import (
	"testing"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestStaffDirectoryContract(t *testing.T) {
	t.Parallel()
	db := mysqltest.New(t)
	repos := func(db bun.IDB) ports.Repos {
		return ports.Repos{Users: adapter.NewUserRepository(db), Projects: adapter.NewProjectRepository(db),
			Members: adapter.NewMemberRepository(db), Audit: adapter.NewAuditLog(db)}
	}
	porttest.StaffDirectory(t, porttest.StaffFixture{
		Directory: adapter.NewStaffDirectory(db),
		Repos:     repos(db),
		UoW:       adapter.NewUnitOfWork(db, repos),
	})
}
