package djangohash

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptValue is Django's bcrypt_sha256$<crypt> or bcrypt$<crypt>, where
// <crypt> is the modular crypt string $2b$<cost>$<22 salt><31 hash>.
type bcryptValue struct {
	preHash bool   // bcrypt_sha256: the password is SHA-256 hex digested first
	crypt   []byte // the $2b$… part
}

// bcryptLen is the length of a modular crypt bcrypt string: "$2b$12$",
// 22 characters of salt and 31 of hash.
const bcryptLen = 7 + 22 + 31

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseBcrypt accepts what pyca/bcrypt, and so Django, can check: the
// prefixes $2a$, $2b$ and $2y$, a two-digit cost from 4 up to Onit's limit,
// and salt and hash in bcrypt's alphabet.
func (h *Hasher) parseBcrypt(alg, rest string) (hashValue, bool) {
	if len(rest) != bcryptLen || rest[0] != '$' || rest[1] != '2' || !strings.ContainsRune("aby", rune(rest[2])) ||
		rest[3] != '$' || rest[6] != '$' {
		return nil, false
	}
	cost, ok := parseDecimal(strings.TrimPrefix(rest[4:6], "0"))
	if !ok || cost < bcrypt.MinCost || cost > h.maxBcryptCost {
		return nil, false
	}
	for i := 7; i < len(rest); i++ {
		if strings.IndexByte(bcryptAlphabet, rest[i]) < 0 {
			return nil, false
		}
	}
	return bcryptValue{preHash: alg == algBcryptSHA256, crypt: []byte(rest)}, true
}

// matches hashes like Django: bcrypt_sha256 feeds bcrypt the hex SHA-256
// of the UTF-8 password (so long passwords are not cut); bcrypt feeds the
// password itself, of which bcrypt reads the first 72 bytes. pyca/bcrypt
// refuses a password with a NUL byte (Django then fails the request); here
// it is hashed all the same, so the timing is that of any wrong password,
// and never matches.
func (v bcryptValue) matches(_ *Hasher, password string) bool {
	secret := []byte(password)
	if v.preHash {
		sum := sha256.Sum256(secret)
		secret = []byte(hex.EncodeToString(sum[:]))
	} else if len(secret) > 72 {
		secret = secret[:72]
	}
	err := bcrypt.CompareHashAndPassword(v.crypt, secret)
	return err == nil && (v.preHash || !strings.ContainsRune(password, 0))
}

// outdated: bcrypt is never the configured algorithm.
func (bcryptValue) outdated(*Hasher) bool { return true }
