package memory_test

import (
	"testing"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestImportRepositoriesContract(t *testing.T) {
	t.Parallel()
	porttest.ImportRepositories(t, func(*testing.T) ports.Repos {
		users, sessions := memory.NewUserRepository(), memory.NewSessionRepository()
		return ports.Repos{Users: users, Sessions: sessions,
			ImportedUsers:    memory.NewImportedUserRepository(users),
			ImportedSessions: memory.NewImportedSessionRepository(sessions),
			ImportRuns:       memory.NewImportRunRepository()}
	})
}

func TestDjangoSourceContract(t *testing.T) {
	t.Parallel()
	porttest.DjangoSource(t, memory.NewDjangoSource(porttest.DjangoSourceUsers(), porttest.DjangoSourceSessions()))
}
