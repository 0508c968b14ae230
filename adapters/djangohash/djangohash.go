// Package djangohash hashes and verifies passwords in Django's encoded
// formats, so users migrated from the Django backend keep their passwords and
// are moved to the current PBKDF2 cost on their next login.
//
// New hashes are pbkdf2_sha256 (Django's default). Verification also accepts
// every other hasher Django ships for real use: pbkdf2_sha1, argon2
// (argon2id, argon2i and argon2d; version 19, version 16 and the older
// encoding without a version field), scrypt, bcrypt_sha256 and bcrypt. A
// match of any of them asks for a re-hash, so such users move to the
// default hasher on their next login, as Django does. The insecure legacy
// hashers (md5, sha1, unsalted_*, crypt) never match: Inspect names them so
// an import can report them.
package djangohash

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

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
	// MaxBcryptCost bounds bcrypt's log2 rounds: 2^16 is 16 times Django's
	// 2^12, a few seconds; bcrypt itself allows 31, over a day.
	MaxBcryptCost = 16
	// maxEncodedLen bounds the whole encoded value; Django's longest
	// formats are about 130 bytes.
	maxEncodedLen = 1024
)

const (
	algPBKDF2SHA256 = "pbkdf2_sha256"
	algPBKDF2SHA1   = "pbkdf2_sha1"
	algArgon2       = "argon2"
	algScrypt       = "scrypt"
	algBcryptSHA256 = "bcrypt_sha256"
	algBcrypt       = "bcrypt"

	// saltLen is Django's salt length: 22 characters of [a-zA-Z0-9] carry
	// the 128 bits of entropy Django's must_update_salt requires.
	saltLen      = 22
	saltAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

	// AlgorithmEmpty and AlgorithmUnrecognised are what Inspect names when
	// the value is empty, or names no algorithm in the shape Django's
	// hashers use.
	AlgorithmEmpty        = "(empty)"
	AlgorithmUnrecognised = "(unrecognised)"

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
	maxBcryptCost   int
	// onSpend, when set by a test, observes the PBKDF2 iterations spent
	// only to even out timing.
	onSpend func(iterations int)
	// niceness is the nice value of the threads hashes run on; 0 runs
	// them on the caller's (SetThreadNiceness).
	niceness int
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
		maxBcryptCost:   MaxBcryptCost,
	}
}

// Hash encodes password as pbkdf2_sha256$<iterations>$<salt>$<base64 key>
// with a fresh 22-character salt.
func (h *Hasher) Hash(password string) (string, error) {
	salt := newSalt()
	var key []byte
	var err error
	h.onLowPriorityThread(func() {
		key, err = pbkdf2.Key(sha256.New, password, []byte(salt), h.iterations, sha256.Size)
	})
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
	v, valid := h.parse(encoded)
	if !valid {
		h.onLowPriorityThread(func() { h.spendDummy(password) })
		return false, false
	}
	h.onLowPriorityThread(func() { ok = v.matches(h, password) })
	return ok, ok && v.outdated(h)
}

// Inspect describes encoded without checking a password against it: the
// algorithm it names, whether it is Django's unusable password, and whether
// Verify can check passwords against it (a known algorithm, well formed,
// within the limits). Importers use it to report hashes nobody could log in
// with before moving them.
func (h *Hasher) Inspect(encoded string) ports.PasswordHashFormat {
	if strings.HasPrefix(encoded, "!") {
		return ports.PasswordHashFormat{Unusable: true}
	}
	_, valid := h.parse(encoded)
	return ports.PasswordHashFormat{Algorithm: algorithmName(encoded), Verifiable: valid}
}

// hashValue is an encoded value that parsed and is within the limits.
type hashValue interface {
	// matches hashes password with the value's parameters and compares.
	matches(h *Hasher, password string) bool
	// outdated reports whether a matching password should be re-hashed
	// with the configured algorithm and cost.
	outdated(h *Hasher) bool
}

// parse decodes encoded; valid is false for anything Verify refuses
// without hashing.
func (h *Hasher) parse(encoded string) (v hashValue, valid bool) {
	if len(encoded) > maxEncodedLen {
		return nil, false
	}
	alg, rest, _ := strings.Cut(encoded, "$")
	switch alg {
	case algPBKDF2SHA256, algPBKDF2SHA1:
		return h.parsePBKDF2(alg, rest)
	case algArgon2:
		return h.parseArgon2(rest)
	case algScrypt:
		return h.parseScrypt(rest)
	case algBcryptSHA256, algBcrypt:
		return h.parseBcrypt(alg, rest)
	}
	return nil, false
}

// algorithmNameShape is what a Django hasher's algorithm attribute looks
// like; anything else is reported as unrecognised rather than echoed.
var algorithmNameShape = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// algorithmName names encoded's algorithm as Django's identify_hasher
// would: the text before the first "$", except for the two shapes of
// unsalted MD5 that carry no name.
func algorithmName(encoded string) string {
	switch {
	case encoded == "":
		return AlgorithmEmpty
	case len(encoded) == 32 && !strings.Contains(encoded, "$"),
		len(encoded) == 37 && strings.HasPrefix(encoded, "md5$$"):
		return "unsalted_md5"
	}
	alg, _, found := strings.Cut(encoded, "$")
	if !found || !algorithmNameShape.MatchString(alg) {
		return AlgorithmUnrecognised
	}
	return alg
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

// pbkdf2Value is <iterations>$<salt>$<hash> of pbkdf2_sha256 or pbkdf2_sha1.
type pbkdf2Value struct {
	alg          string
	iterations   int
	salt, stored string
}

func (h *Hasher) parsePBKDF2(alg, rest string) (hashValue, bool) {
	iterText, rest, _ := strings.Cut(rest, "$")
	salt, stored, found := strings.Cut(rest, "$")
	iter, isNum := parseDecimal(iterText)
	// Django refuses an empty salt; a zero count would make it use the
	// configured one and then fail the comparison.
	if !found || salt == "" || !isNum || iter < 1 || iter > h.maxIterations {
		return nil, false
	}
	return pbkdf2Value{alg: alg, iterations: iter, salt: salt, stored: stored}, true
}

// matches re-encodes and compares the base64 text, as Django does, so only
// canonically encoded values match.
func (v pbkdf2Value) matches(h *Hasher, password string) bool {
	newHash, size := sha256.New, sha256.Size
	if v.alg == algPBKDF2SHA1 {
		newHash, size = sha1.New, sha1.Size
	}
	key, err := pbkdf2.Key(newHash, password, []byte(v.salt), v.iterations, size)
	if err != nil {
		return false
	}
	computed := base64.StdEncoding.EncodeToString(key)
	if subtle.ConstantTimeCompare([]byte(computed), []byte(v.stored)) != 1 {
		// Django's harden_runtime: a wrong password against a cheaper
		// hash of the preferred algorithm costs the configured count in
		// total, so timing does not reveal which accounts have old hashes.
		if v.alg == algPBKDF2SHA256 && v.iterations < h.iterations {
			h.spend(password, v.salt, h.iterations-v.iterations)
		}
		return false
	}
	return true
}

func (v pbkdf2Value) outdated(h *Hasher) bool {
	return v.alg != algPBKDF2SHA256 || v.iterations != h.iterations || utf8.RuneCountInString(v.salt) < saltLen
}

// scryptValue is <N>$<salt>$<r>$<p>$<hash> of a 64-byte key.
type scryptValue struct {
	n, r, p      int
	salt, stored string
}

func (h *Hasher) parseScrypt(rest string) (hashValue, bool) {
	fields := strings.Split(rest, "$")
	if len(fields) != 5 || fields[1] == "" {
		return nil, false
	}
	n, okN := parseDecimal(fields[0])
	r, okR := parseDecimal(fields[2])
	p, okP := parseDecimal(fields[3])
	// scrypt.Key itself refuses an n that is not a power of two above 1;
	// checking here keeps such values out of Inspect's verifiable ones.
	if !okN || !okR || !okP || n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || p > MaxScryptParallelism ||
		n > h.maxScryptMemory || r > h.maxScryptMemory/128/(n+p+2) {
		return nil, false
	}
	return scryptValue{n: n, r: r, p: p, salt: fields[1], stored: fields[4]}, true
}

// matches compares the re-encoded base64 text, as Django does.
func (v scryptValue) matches(_ *Hasher, password string) bool {
	key, err := scrypt.Key([]byte(password), []byte(v.salt), v.n, v.r, v.p, 64)
	if err != nil {
		return false
	}
	computed := base64.StdEncoding.EncodeToString(key)
	return subtle.ConstantTimeCompare([]byte(computed), []byte(v.stored)) == 1
}

func (scryptValue) outdated(*Hasher) bool { return true }

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
