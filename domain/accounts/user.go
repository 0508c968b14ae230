// Package accounts holds the accounts module's entities: users and their
// login sessions.
package accounts

import "time"

// User is a person who can log in.
type User struct {
	ID           int64
	Email        string // as typed, trimmed; shown to people
	EmailKey     string // normalised form that is unique (case-insensitive)
	Name         string
	PasswordHash string // Django-format encoded hash
	Language     string
	IsActive     bool
	IsStaff      bool
	IsSuperuser  bool
	DateJoined   time.Time
	LastLogin    *time.Time
}
