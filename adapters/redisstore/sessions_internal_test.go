package redisstore

import (
	"testing"
	"time"

	"github.com/onitapp/onit/domain/accounts"
)

// FuzzDecodeSession checks that no stored value can panic the decoder and
// that everything it accepts encodes back to the same bytes.
func FuzzDecodeSession(f *testing.F) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 123456000, time.UTC)
	f.Add(encodeSession(accounts.Session{UserID: 42, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	f.Add([]byte{tombstone})
	f.Add([]byte{sessionV1, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok, err := decodeSession(b)
		if err != nil || !ok {
			return
		}
		// Non-minimal varints decode too, so compare values, not bytes.
		s2, ok2, err2 := decodeSession(encodeSession(s))
		if err2 != nil || !ok2 || s2 != s {
			t.Fatalf("%x decodes to %+v, which does not survive a round trip (%+v, %v)", b, s, s2, err2)
		}
	})
}
