package accounts

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
)

// AuditAction names what a staff member did to an account.
type AuditAction string

// The staff console's actions (the web app translates each as
// staff_action_<action>).
const (
	AuditDeactivate     AuditAction = "deactivate"
	AuditReactivate     AuditAction = "reactivate"
	AuditRevokeSessions AuditAction = "revoke_sessions"
	AuditPasswordReset  AuditAction = "password_reset"
)

// Valid reports whether a is one of the known actions.
func (a AuditAction) Valid() bool {
	switch a {
	case AuditDeactivate, AuditReactivate, AuditRevokeSessions, AuditPasswordReset:
		return true
	}
	return false
}

// MaxAuditMessageLength is the audit_log.message column's size.
const MaxAuditMessageLength = 500

// Errors of the staff console.
var (
	// ErrSelfDeactivate: a staff member may not deactivate their own
	// account (they would lock themself out of the console mid-action;
	// another staff member or `onit revokesessions --deactivate` can).
	ErrSelfDeactivate = domain.E(domain.KindConflict, "accounts.staff_self_deactivate")
	// ErrResetInactive: a password-reset email to an account that cannot log
	// in would carry a link that leads nowhere; reactivate it first.
	ErrResetInactive = domain.E(domain.KindConflict, "accounts.staff_reset_inactive")
)

// AuditEntry is one staff action on a user account (Django admin's
// LogEntry): who did what to whom, and when. The emails are copies taken
// at the time, so the entry reads the same after either account changes.
type AuditEntry struct {
	ID          int64
	ActorID     int64
	ActorEmail  string
	Action      AuditAction
	TargetID    int64
	TargetEmail string
	// Message adds what the action did (how many sessions ended).
	Message   string
	CreatedAt time.Time
}

// NewAuditEntry records actor doing action to target at now. Invalid when
// the action is unknown; the message is cut to its column's size, since a
// long detail must never make the action it records fail.
func NewAuditEntry(actor, target User, action AuditAction, message string, now time.Time) (AuditEntry, error) {
	if !action.Valid() {
		return AuditEntry{}, domain.Invalid(domain.FieldError{Field: "action", Code: "oneof", Key: "validation.oneof",
			Params: map[string]any{"param": "deactivate, reactivate, revoke_sessions, password_reset"}})
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > MaxAuditMessageLength {
		message = string([]rune(message)[:MaxAuditMessageLength])
	}
	return AuditEntry{ActorID: actor.ID, ActorEmail: actor.Email, Action: action, TargetID: target.ID,
		TargetEmail: target.Email, Message: message, CreatedAt: now.UTC()}, nil
}
