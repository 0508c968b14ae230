package ports

import (
	"context"

	"github.com/onitapp/onit/domain/accounts"
)

// StaffDirectory is what the staff console reads about user accounts
// beyond the UserRepository: a search and a count across modules.
type StaffDirectory interface {
	// SearchUsers returns users whose email or name contains query,
	// compared case-insensitively (every user when query is empty), by
	// ascending ID after afterID (0: from the start), at most limit.
	SearchUsers(ctx context.Context, query string, afterID int64, limit int) ([]accounts.User, error)
	// CountProjects returns how many projects the user is a member of
	// (0 for an unknown user).
	CountProjects(ctx context.Context, userID int64) (int, error)
}

// AuditQuery selects one page of the audit log, newest first.
type AuditQuery struct {
	TargetID int64 // 0: every user's entries
	BeforeID int64 // 0: from the newest
	Limit    int
}

// AuditLog stores the staff console's audit entries. Append is called in
// the unit of work of the action it records, so an entry exists exactly
// when its action committed.
type AuditLog interface {
	// Append stores e and sets its ID.
	Append(ctx context.Context, e *accounts.AuditEntry) error
	// List returns the entries q selects by descending ID.
	List(ctx context.Context, q AuditQuery) ([]accounts.AuditEntry, error)
}
