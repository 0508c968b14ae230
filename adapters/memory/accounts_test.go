package memory_test

import (
	"testing"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/adapters/system"
	"github.com/onitapp/onit/ports"
	"github.com/onitapp/onit/ports/porttest"
)

func TestUserRepositoryContract(t *testing.T) {
	t.Parallel()
	newRepo := func(*testing.T) ports.UserRepository { return memory.NewUserRepository() }
	porttest.UserRepository(t, newRepo)
	porttest.UserRepositoryConcurrent(t, newRepo)
}

func TestSessionRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepository(t, func(*testing.T) (ports.SessionRepository, ports.UserRepository) {
		return memory.NewSessionRepository(), memory.NewUserRepository()
	})
}

func TestThrottleContract(t *testing.T) {
	t.Parallel()
	porttest.Throttle(t, func(*testing.T) ports.Throttle { return memory.NewThrottle(system.Clock{}) })
}

func TestOutboxContract(t *testing.T) {
	t.Parallel()
	porttest.Outbox(t, func(*testing.T) ports.Outbox { return memory.NewOutbox() })
}

func TestPasswordResetRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.PasswordResetRepository(t, func(*testing.T) (ports.PasswordResetRepository, ports.UserRepository) {
		return memory.NewPasswordResetRepository(), memory.NewUserRepository()
	})
}

func TestMailboxContract(t *testing.T) {
	t.Parallel()
	b := memory.NewMailbox()
	porttest.EmailSender(t, b, b.Messages)
}

func TestSessionRepositoryDetailsContract(t *testing.T) {
	t.Parallel()
	porttest.SessionRepositoryDetails(t, func(*testing.T) (ports.SessionRepository, ports.UserRepository) {
		return memory.NewSessionRepository(), memory.NewUserRepository()
	})
}

func TestStaffDirectoryContract(t *testing.T) {
	t.Parallel()
	users := memory.NewUserRepository()
	store := memory.NewProjectsStore(users)
	porttest.StaffDirectory(t, porttest.StaffFixture{
		Directory: memory.NewStaffDirectory(users, store),
		Repos:     ports.Repos{Users: users, Projects: store.Projects(), Members: store.Members(), Audit: memory.NewAuditLog()},
	})
}
