package ports

import (
	"context"

	"github.com/onitapp/onit/domain/projects"
)

// ProjectRepository stores projects.
type ProjectRepository interface {
	// Create inserts p and sets its ID.
	Create(ctx context.Context, p *projects.Project) error
	// ByID returns the project. NotFound when absent.
	ByID(ctx context.Context, id int64) (projects.Project, error)
}

// MemberRepository stores project memberships.
type MemberRepository interface {
	// Add inserts m. Conflict when the user is already a member.
	Add(ctx context.Context, m projects.Member) error
}

// TaskRepository stores tasks.
type TaskRepository interface {
	// Create inserts t and sets its ID.
	Create(ctx context.Context, t *projects.Task) error
}

// CommentRepository stores comments.
type CommentRepository interface {
	// Create inserts c and sets its ID.
	Create(ctx context.Context, c *projects.Comment) error
}

// IdempotencyRepository remembers the responses of creating POSTs.
type IdempotencyRepository interface {
	// Reserve claims a key for a request fingerprint. Conflict when taken.
	Reserve(ctx context.Context, userID int64, key, fingerprint string) error
}
