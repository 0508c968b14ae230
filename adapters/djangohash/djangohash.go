// Package djangohash hashes and verifies passwords in Django's encoded
// formats, so users migrated from the Django backend keep their passwords and
// are moved to the current PBKDF2 cost on their next login.
//
// New hashes are pbkdf2_sha256 (Django's default). Verification also accepts
// pbkdf2_sha1, argon2 (argon2id and argon2i, version 19) and scrypt.
// bcrypt, bcrypt_sha256 and argon2 hashes of version 16 (made by argon2-cffi
// before 2016) are not supported: they never match, and such users reset
// their password.
package djangohash

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"

	"github.com/onitapp/onit/ports"
)

var _ ports.PasswordHasher = (*Hasher)(nil)

// DefaultIterations is Django 5.1's PBKDF2 iteration count.
const DefaultIterations = 870000

// Limits on the cost parameters Verify accepts. An encoded value is data from
// the database, and a corrupted or planted one must not let a single login
// attempt hang a core for minutes or allocate gigabytes; anything beyond a
// limit is treated as a non-matching hash. Each limit is far above what any
// Django release or documented setting produces.
const (
	// MaxIterations bounds PBKDF2 iterations: about ten times Django 6.0's
	// 1,200,000, a few seconds of CPU. A Hasher configured higher accepts
	// its own count.
	MaxIterations = 10_000_000
	// MaxArgon2Memory bounds argon2's memory in KiB (1 GiB), ten times
	// Django's 102,400 KiB.
	MaxArgon2Memory = 1 << 20
	// MaxArgon2Time bounds argon2's passes; Django uses 2, RFC 9106's
	// low-memory profile 3.
	MaxArgon2Time = 10
	// MaxArgon2Threads bounds argon2's lanes; Django uses 8 and the Go
	// implementation cannot go past 255.
	MaxArgon2Threads = 255
	// MaxScryptMemory bounds scrypt's memory, 128·r·(N+p+2) bytes, at 32 MiB:
	// the OpenSSL default that Django's hashlib.scrypt call runs under, so
	// every scrypt hash Django could verify is accepted.
	MaxScryptMemory = 32 << 20
	// MaxScryptParallelism bounds scrypt's p, which costs CPU but little
	// memory; Django uses 1.
	MaxScryptParallelism = 16
	// maxEncodedLen bounds the whole encoded value; Django's longest
	// formats are about 130 bytes.
	maxEncodedLen = 1024
)

const (
	algPBKDF2SHA256 = "pbkdf2_sha256"
	algPBKDF2SHA1   = "pbkdf2_sha1"
	algArgon2       = "argon2"
	algScrypt       = "scrypt"

	// saltLen is Django's salt length: 22 characters of [a-zA-Z0-9] carry
	// the 128 bits of entropy Django's must_update_salt requires.
	saltLen      = 22
	saltAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

	// dummySalt salts the hash spent on values that cannot match, so the
	// work is a real PBKDF2 run of the usual shape.
	dummySalt = "onitdummysaltonitdummy"
)

// Hasher is the PBKDF2-SHA256 hasher with Django's encoding. It is safe for
// concurrent use.
type Hasher struct {
	iterations int
	// Limits, fields rather than constants so tests can lower them to keep
	// fuzzing fast; New sets them from the exported constants.
	maxIterations   int
	maxArgon2Memory uint32
	maxScryptMemory int
	// onSpend, when set by a test, observes the PBKDF2 iterations spent
	// only to even out timing.
	onSpend func(iterations int)
}

// New returns a Hasher that hashes with the given PBKDF2 iteration count;
// values below 1 mean DefaultIterations.
func New(iterations int) *Hasher {
	if iterations < 1 {
		iterations = DefaultIterations
	}
	return &Hasher{
		iterations:      iterations,
		maxIterations:   max(MaxIterations, iterations),
		maxArgon2Memory: MaxArgon2Memory,
		maxScryptMemory: MaxScryptMemory,
	}
}

// Hash encodes password as pbkdf2_sha256$<iterations>$<salt>$<base64 key>
// with a fresh 22-character salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := newSalt()
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), h.iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("pbkdf2: %w", err)
	}
	return algPBKDF2SHA256 + "$" + strconv.Itoa(h.iterations) + "$" + salt + "$" +
		base64.StdEncoding.EncodeToString(key), nil
}

// newSalt draws 22 characters uniformly from [a-zA-Z0-9] like Django's
// get_random_string: bytes of 248 or more are rejected, since 248 is the
// largest multiple of 62 below 256 and keeping them would favour some letters.
func newSalt() string {
	var out [saltLen]byte
	var buf [32]byte
	n := 0
	for n < saltLen {
		rand.Read(buf[:]) // never fails since Go 1.24; it crashes the program instead
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out[n] = saltAlphabet[b%62]
			n++
			if n == saltLen {
				break
			}
		}
	}
	return string(out[:])
}

// Verify reports whether password matches encoded and, for a match, whether
// it should be re-hashed: when the algorithm is not pbkdf2_sha256, the
// iteration count differs from the configured one, or the salt is shorter
// than 22 characters (Django's rules). Values that cannot match (empty,
// unusable "!…", malformed, unknown algorithm, beyond the limits) cost one
// PBKDF2-SHA256 run at the configured count, so timing does not tell them
// apart from a wrong password.
func (h *Hasher) Verify(password, encoded string) (ok, needsRehash bool) {
	var valid bool
	if len(encoded) <= maxEncodedLen {
		alg, rest, _ := strings.Cut(encoded, "$")
		switch alg {
		case algPBKDF2SHA256, algPBKDF2SHA1:
			ok, needsRehash, valid = h.verifyPBKDF2(password, alg, rest)
		case algArgon2:
			ok, valid = h.verifyArgon2(password, rest)
			needsRehash = ok
		case algScrypt:
			ok, valid = h.verifyScrypt(password, rest)
			needsRehash = ok
		}
	}
	if !valid {
		h.spendDummy(password)
		return false, false
	}
	return ok, needsRehash && ok
}

// spendDummy does the work of one verification against a fixed hash.
func (h *Hasher) spendDummy(password string) {
	key := h.spend(password, dummySalt, h.iterations)
	subtle.ConstantTimeCompare(key, dummyKey[:])
}

// spend runs PBKDF2-SHA256 for timing only.
func (h *Hasher) spend(password, salt string, iterations int) []byte {
	if h.onSpend != nil {
		h.onSpend(iterations)
	}
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, sha256.Size)
	return key
}

// dummyKey is what the dummy hash is compared with, so the dummy path does
// the same comparison work as a real one.
var dummyKey [sha256.Size]byte

// verifyPBKDF2 checks <iterations>$<salt>$<hash>. Like Django it re-encodes
// and compares the base64 text, so only canonically encoded values match.
// valid is false when the value is malformed or over the limits.
func (h *Hasher) verifyPBKDF2(password, alg, rest string) (ok, needsRehash, valid bool) {
	iterText, rest, _ := strings.Cut(rest, "$")
	salt, stored, found := strings.Cut(rest, "$")
	iter, isNum := parseDecimal(iterText)
	// Django refuses an empty salt; a zero count would make it use the
	// configured one and then fail the comparison.
	if !found || salt == "" || !isNum || iter < 1 || iter > h.maxIterations {
		return false, false, false
	}
	newHash, size := sha256.New, sha256.Size
	if alg == algPBKDF2SHA1 {
		newHash, size = sha1.New, sha1.Size
	}
	key, err := pbkdf2.Key(newHash, password, []byte(salt), iter, size)
	if err != nil {
		return false, false, false
	}
	computed := base64.StdEncoding.EncodeToString(key)
	if subtle.ConstantTimeCompare([]byte(computed), []byte(stored)) != 1 {
		// Django's harden_runtime: a wrong password against a cheaper
		// hash of the preferred algorithm costs the configured count in
		// total, so timing does not reveal which accounts have old hashes.
		if alg == algPBKDF2SHA256 && iter < h.iterations {
			h.spend(password, salt, h.iterations-iter)
		}
		return false, false, true
	}
	return true, alg != algPBKDF2SHA256 || iter != h.iterations ||
		utf8.RuneCountInString(salt) < saltLen, true
}

// argon2Params is a decoded argon2 hash.
type argon2Params struct {
	variant      string
	memory, time uint32
	threads      uint8
	salt, hash   []byte
}

// verifyArgon2 checks the PHC string Django stores after "argon2":
// $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>, unpadded standard base64.
func (h *Hasher) verifyArgon2(password, rest string) (ok, valid bool) {
	p, valid := h.parseArgon2(rest)
	if !valid {
		return false, false
	}
	var key []byte
	switch p.variant {
	case "argon2id":
		key = argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.hash)))
	case "argon2i":
		key = argon2.Key([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.hash)))
	}
	return subtle.ConstantTimeCompare(key, p.hash) == 1, true
}

// parseArgon2 applies the checks of the argon2 reference decoder that
// argon2-cffi (and so Django) uses: canonical decimals, salt of at least 8
// bytes, hash of at least 4, m ≥ 8·p, strict base64; plus Onit's limits.
func (h *Hasher) parseArgon2(rest string) (argon2Params, bool) {
	var p argon2Params
	fields := strings.Split(rest, "$")
	if len(fields) != 5 || (fields[0] != "argon2id" && fields[0] != "argon2i") || fields[1] != "v=19" {
		return p, false
	}
	p.variant = fields[0]
	mText, rest, _ := strings.Cut(fields[2], ",")
	tText, pText, _ := strings.Cut(rest, ",")
	m, okM := parsePrefixed(mText, "m=")
	t, okT := parsePrefixed(tText, "t=")
	par, okP := parsePrefixed(pText, "p=")
	if !okM || !okT || !okP || t < 1 || t > MaxArgon2Time || par < 1 || par > MaxArgon2Threads ||
		m < 8*par || m > int(h.maxArgon2Memory) {
		return p, false
	}
	enc := base64.RawStdEncoding.Strict()
	salt, errS := enc.DecodeString(fields[3])
	hash, errH := enc.DecodeString(fields[4])
	if errS != nil || errH != nil || len(salt) < 8 || len(hash) < 4 {
		return p, false
	}
	p.memory, p.time, p.threads, p.salt, p.hash = uint32(m), uint32(t), uint8(par), salt, hash
	return p, true
}

// verifyScrypt checks <N>$<salt>$<r>$<p>$<hash> of a 64-byte key, comparing
// the re-encoded base64 text as Django does.
func (h *Hasher) verifyScrypt(password, rest string) (ok, valid bool) {
	fields := strings.Split(rest, "$")
	if len(fields) != 5 || fields[1] == "" {
		return false, false
	}
	n, okN := parseDecimal(fields[0])
	r, okR := parseDecimal(fields[2])
	p, okP := parseDecimal(fields[3])
	if !okN || !okR || !okP || r < 1 || p < 1 || p > MaxScryptParallelism ||
		n > h.maxScryptMemory || r > h.maxScryptMemory/128/(n+p+2) {
		return false, false
	}
	key, err := scrypt.Key([]byte(password), []byte(fields[1]), n, r, p, 64)
	if err != nil {
		// scrypt.Key itself rejects an n that is not a power of two above 1.
		return false, false
	}
	computed := base64.StdEncoding.EncodeToString(key)
	return subtle.ConstantTimeCompare([]byte(computed), []byte(fields[4])) == 1, true
}

// parseDecimal accepts only the canonical decimal form of a non-negative
// int (no sign, no leading zeros, no spaces), the only form a Django-made
// hash contains, and fails instead of overflowing.
func parseDecimal(s string) (int, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parsePrefixed parses "<prefix><decimal>".
func parsePrefixed(s, prefix string) (int, bool) {
	v, found := strings.CutPrefix(s, prefix)
	if !found {
		return 0, false
	}
	return parseDecimal(v)
}
