package djangohash

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestArgon2AgreesWithXCrypto checks this package's Argon2 against
// golang.org/x/crypto on what both compute (version 19 argon2i and
// argon2id), over shapes that reach every branch: one and several passes
// and lanes, memory not a multiple of 4·lanes, more than 128 blocks per
// segment (a second address block), short and long keys. Version 16 and
// argon2d are checked against argon2-cffi's vectors in vectors_test.go.
func TestArgon2AgreesWithXCrypto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}{
		{1, 8, 1, 16}, {1, 16, 2, 32}, {3, 64, 2, 16}, {2, 37, 3, 64}, {2, 1100, 1, 4}, {1, 600, 4, 100},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("t=%d,m=%d,p=%d,len=%d", tc.time, tc.memory, tc.threads, tc.keyLen), func(t *testing.T) {
			t.Parallel()
			pw, salt := []byte("password"), []byte("somesaltsomesalt")
			if got, want := argon2Key(argon2i, argon2v13, pw, salt, tc.time, tc.memory, tc.threads, tc.keyLen),
				argon2.Key(pw, salt, tc.time, tc.memory, tc.threads, tc.keyLen); !bytes.Equal(got, want) {
				t.Errorf("argon2i: %x, x/crypto %x", got, want)
			}
			if got, want := argon2Key(argon2id, argon2v13, pw, salt, tc.time, tc.memory, tc.threads, tc.keyLen),
				argon2.IDKey(pw, salt, tc.time, tc.memory, tc.threads, tc.keyLen); !bytes.Equal(got, want) {
				t.Errorf("argon2id: %x, x/crypto %x", got, want)
			}
		})
	}
}
