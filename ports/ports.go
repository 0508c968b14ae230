// Package ports declares the interfaces the core (domain and app) needs from
// the outside world. Adapters implement them; app services depend only on
// them, so MySQL, Redis and memory implementations swap freely.
//
// Every method that does I/O takes a context first. Errors are domain.Error
// values whose kind each method's doc comment names; anything else is an
// internal error.
package ports

import (
	"context"
	"time"
)

// Clock tells the time. The core never calls time.Now, so tests are deterministic.
type Clock interface {
	Now() time.Time
}

// Random produces unpredictable values from a cryptographic source.
type Random interface {
	// Token returns n random bytes encoded URL-safe without padding.
	Token(n int) (string, error)
}

// UnitOfWork runs a function in one database transaction. The function gets a
// context bound to the transaction and the repositories that act inside it;
// when it returns an error everything is rolled back. Deadlocks are retried by
// the adapter, so fn must have no side effects outside the repositories.
type UnitOfWork interface {
	Transact(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Repos is the set of repositories a unit of work hands to its function.
type Repos struct {
	Users       UserRepository
	Sessions    SessionRepository
	Projects    ProjectRepository
	Members     MemberRepository
	Tasks       TaskRepository
	Comments    CommentRepository
	Idempotency IdempotencyRepository

	// Password resets and the email outbox (issue 15).
	PasswordResets PasswordResetRepository
	Outbox         Outbox

	// The staff console's audit log (issue 15).
	Audit AuditLog

	// The Django import's view of users and sessions, and its runs.
	ImportedUsers    ImportedUserRepository
	ImportedSessions ImportedSessionRepository
	ImportRuns       ImportRunRepository
}
