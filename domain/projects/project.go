// Package projects holds the projects module's entities: projects, their
// members, tasks and comments, with the rules that keep them valid.
//
// Field errors name the JSON fields the client sent ("title", "due_date"),
// because FieldError.Field is defined as the client's name for the input.
package projects

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
)

// Limits of free-text fields, in characters (runes), as the contract gives
// them for tasks; project names follow task titles.
const (
	MaxNameLen        = 200
	MaxTitleLen       = 200
	MaxDescriptionLen = 10000
	MaxCommentLen     = 5000
)

// Errors of the projects module. They are values of domain.Error so both
// errors.Is and the kind work.
var (
	// ErrLastOwner refuses to remove or demote the only owner of a project.
	ErrLastOwner = domain.E(domain.KindConflict, "projects.last_owner")
	// ErrAlreadyMember refuses to add a user who is already a member.
	ErrAlreadyMember = domain.E(domain.KindConflict, "projects.already_member")
	// ErrUserNotFound is an unknown email when adding a member (404 per contract).
	ErrUserNotFound = domain.E(domain.KindNotFound, "projects.user_not_found")
	// ErrMemberNotFound is a user who is not a member of the project.
	ErrMemberNotFound = domain.E(domain.KindNotFound, "projects.member_not_found")
	// ErrIdempotencyMismatch is an Idempotency-Key reused with a different request.
	ErrIdempotencyMismatch = domain.E(domain.KindInvalid, "projects.idempotency_mismatch")
	// ErrIdempotencyKeyUsed is reported by repositories when a user's key is
	// already stored; the app turns it into a replay or ErrIdempotencyMismatch.
	ErrIdempotencyKeyUsed = domain.E(domain.KindConflict, "projects.idempotency_in_use")
	// ErrIdempotencyInProgress is a retry that found its key claimed by a
	// request with the same body which may still be creating: retry after
	// RetryAfter (409 with Retry-After).
	ErrIdempotencyInProgress = &domain.Error{Kind: domain.KindConflict, Key: "projects.idempotency_in_progress", RetryAfter: time.Second}
)

// Role is a member's role in a project.
type Role string

// The roles a member can have. RoleNone is "not a member", so lookups can
// answer with a role instead of an extra boolean.
const (
	RoleNone   Role = ""
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Valid reports whether r is a role a member can have.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleMember }

// Project groups tasks and the people working on them. Version increments on
// every change, including changes of its member list, because the project's
// representation carries the caller's role and caches key on the version.
type Project struct {
	ID          int64
	Name        string
	Description string
	OwnerID     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// NewProject validates a new project owned by ownerID.
func NewProject(name, description string, ownerID int64, now time.Time) (Project, error) {
	name = strings.TrimSpace(name)
	var fe []domain.FieldError
	fe = append(fe, textRule("name", name, 1, MaxNameLen)...)
	fe = append(fe, textRule("description", description, 0, MaxDescriptionLen)...)
	if len(fe) > 0 {
		return Project{}, domain.Invalid(fe...)
	}
	return Project{Name: name, Description: description, OwnerID: ownerID, CreatedAt: now, UpdatedAt: now, Version: 1}, nil
}

// ProjectChanges are the fields a PATCH may set; nil leaves a field alone.
type ProjectChanges struct {
	Name        *string
	Description *string
}

// Edit applies c, validating every field at once, and counts as a change.
func (p *Project) Edit(c ProjectChanges, now time.Time) error {
	var fe []domain.FieldError
	name, desc := p.Name, p.Description
	if c.Name != nil {
		name = strings.TrimSpace(*c.Name)
		fe = append(fe, textRule("name", name, 1, MaxNameLen)...)
	}
	if c.Description != nil {
		desc = *c.Description
		fe = append(fe, textRule("description", desc, 0, MaxDescriptionLen)...)
	}
	if len(fe) > 0 {
		return domain.Invalid(fe...)
	}
	p.Name, p.Description = name, desc
	p.Touch(now)
	return nil
}

// Touch records a change of the project or of its member list.
func (p *Project) Touch(now time.Time) {
	p.UpdatedAt = now
	p.Version++
}

// Member is a user's membership of a project. Email and Name are read from
// the user for display; they are not stored with the membership.
type Member struct {
	ProjectID int64
	UserID    int64
	Email     string
	Name      string
	Role      Role
	JoinedAt  time.Time
}

// CheckRoleChange enforces the last-owner rule: owners lists the project's
// owners before the change; the user loses ownership when removed or when
// newRole is not RoleOwner.
func CheckRoleChange(owners []int64, userID int64, newRole Role) error {
	if newRole == RoleOwner {
		return nil
	}
	for _, o := range owners {
		if o != userID {
			return nil // another owner remains
		}
	}
	for _, o := range owners {
		if o == userID {
			return ErrLastOwner
		}
	}
	return nil // the user was not an owner: nothing to lose
}

// textRule checks a free-text field's length in characters.
func textRule(field, v string, minLen, maxLen int) []domain.FieldError {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		return []domain.FieldError{{Field: field, Code: "utf8", Key: "validation.utf8"}}
	case minLen > 0 && strings.TrimSpace(v) == "":
		return []domain.FieldError{{Field: field, Code: "required", Key: "validation.required"}}
	case n < minLen:
		return []domain.FieldError{{Field: field, Code: "min", Key: "validation.min", Params: map[string]any{"param": minLen}}}
	case n > maxLen:
		return []domain.FieldError{{Field: field, Code: "max", Key: "validation.max", Params: map[string]any{"param": maxLen}}}
	}
	return nil
}
