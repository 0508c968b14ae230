package accounts

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// TokenBytes is the entropy of a session token: Django's 32-character
// [a-z0-9] key has about 165 bits; 32 random bytes give 256.
const TokenBytes = 32

// Session is a login. Only the SHA-256 hash of its token is ever stored, so a
// database dump does not hand out live sessions.
type Session struct {
	TokenHash string // hex SHA-256 of the token the client holds
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time

	// What the owner sees in their list of sessions (issue 15). Only the
	// repository keeps them; caches drop them, authentication needs none.
	ID         int64      // the repository's key, for revoking one session by ID
	UserAgent  string     // SummarizeUserAgent of the login's User-Agent
	ClientAddr string     // TruncateAddr of the login's client address
	LastUsedAt *time.Time // to the minute; nil until first recorded
}

// HashToken returns the hex SHA-256 under which a token's session is stored.
// A plain hash suffices (no salt, no stretching) because the token is 256
// random bits, not something a person chose.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	var h [2 * sha256.Size]byte // on the stack: the string is the only allocation
	hex.Encode(h[:], sum[:])
	return string(h[:])
}

// NewSession starts a session for the user at now that lasts age. Expiry is
// fixed, not sliding, as Django's default.
func NewSession(token string, userID int64, now time.Time, age time.Duration) Session {
	now = now.UTC()
	return Session{TokenHash: HashToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(age)}
}

// Expired reports whether the session no longer authenticates at now: it
// stops working at the instant of expiry, not one tick later.
func (s Session) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }
