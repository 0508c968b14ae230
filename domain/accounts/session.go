package accounts

import "time"

// Session is a login. Only the SHA-256 hash of its token is ever stored, so a
// database dump does not hand out live sessions.
type Session struct {
	TokenHash string // hex SHA-256 of the token the client holds
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}
