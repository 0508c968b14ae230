package accounts

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/onitapp/onit/domain"
)

// ErrResetTokenInvalid is the answer to every reset token that cannot be
// used: unknown, used, expired, or issued before the user's password or
// last login changed. One answer for all, as Django's "The password reset
// link was invalid", so a token's fate tells an attacker nothing.
var ErrResetTokenInvalid = domain.Invalid(domain.FieldError{
	Field: "token", Code: "token_invalid", Key: "accounts.reset_token_invalid"})

// ErrResetThrottled answers a client that asked for too many resets.
var ErrResetThrottled = domain.E(domain.KindRateLimited, "accounts.reset_throttled")

// PasswordReset is an issued password-reset token. Only the token's hash is
// kept; the token itself travels once, in the email.
type PasswordReset struct {
	TokenHash string // hex SHA-256 of the token in the link
	UserID    int64
	// State fingerprints what the token must outlive no change of
	// (ResetState); a password change or a later login changes it.
	State     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// NewPasswordReset issues a reset of u's password for token, valid for age.
func NewPasswordReset(token string, u User, now time.Time, age time.Duration) PasswordReset {
	now = now.UTC()
	return PasswordReset{TokenHash: HashToken(token), UserID: u.ID, State: ResetState(u),
		CreatedAt: now, ExpiresAt: now.Add(age)}
}

// ResetState fingerprints the parts of u whose change must invalidate a
// reset token, as Django's PasswordResetTokenGenerator hashes the password
// hash, the last login and the email into its tokens: any password change
// (through any path: the API, the CLI, a reset, a login's re-hash), a later
// login and an email change all give a new value. Times count in
// microseconds, what the database keeps.
func ResetState(u User) string {
	h := sha256.New()
	last := "-"
	if u.LastLogin != nil {
		last = strconv.FormatInt(u.LastLogin.UnixMicro(), 10)
	}
	for _, part := range []string{strconv.FormatInt(u.ID, 10), u.PasswordHash, last, u.EmailKey} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Usable reports whether the reset can still set u's password at now: not
// used, not expired, for u, and u unchanged since it was issued and able
// to log in.
func (r PasswordReset) Usable(u User, now time.Time) bool {
	return r.UsedAt == nil && now.Before(r.ExpiresAt) && r.UserID == u.ID &&
		r.State == ResetState(u) && u.CanLogIn()
}
