package mysql_test

import (
	"testing"

	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestImportRepositoriesContract(t *testing.T) {
	t.Parallel()
	porttest.ImportRepositories(t, func(t *testing.T) ports.Repos {
		return repos(mysqltest.New(t))
	})
}

func repos(db bun.IDB) ports.Repos {
	return ports.Repos{Users: adapter.NewUserRepository(db), Sessions: adapter.NewSessionRepository(db),
		ImportedUsers:    adapter.NewImportedUserRepository(db),
		ImportedSessions: adapter.NewImportedSessionRepository(db),
		ImportRuns:       adapter.NewImportRunRepository(db)}
}
