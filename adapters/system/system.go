// Package system adapts the process's own clock and cryptographic random
// source to the core's ports.
package system

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/onitapp/onit/ports"
)

// Clock is the wall clock in UTC, at microsecond precision because MySQL's
// DATETIME(6) stores no more: a value read back equals the value written.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now returns the current UTC time truncated to microseconds.
func (Clock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Random draws from crypto/rand.
type Random struct{}

var _ ports.Random = Random{}

// Token returns n random bytes, base64url-encoded without padding.
func (Random) Token(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
