// Package projects holds the projects module's entities: projects, their
// members, tasks and comments.
package projects

import "time"

// Role is a member's role in a project.
type Role string

// The roles a member can have.
const (
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Project groups tasks and the people working on them.
type Project struct {
	ID          int64
	Name        string
	Description string
	OwnerID     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Member is a user's membership of a project.
type Member struct {
	ProjectID int64
	UserID    int64
	Email     string
	Name      string
	Role      Role
	JoinedAt  time.Time
}
