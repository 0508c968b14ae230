package djangohash

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Value is a decoded argon2 hash.
type argon2Value struct {
	variant, version int
	memory, time     uint32
	threads          uint8
	salt, hash       []byte
}

var argon2Variants = map[string]int{"argon2d": argon2d, "argon2i": argon2i, "argon2id": argon2id}

// parseArgon2 reads the PHC string Django stores after "argon2": either
// $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash> or the encoding from before
// Argon2 1.3, without the v= field, which means version 16. It applies the
// checks of the argon2 reference decoder that argon2-cffi (and so Django)
// uses: a known variant, version 16 or 19, canonical decimals, salt of at
// least 8 bytes, hash of at least 4, m ≥ 8·p, strict unpadded base64; plus
// Onit's limits.
func (h *Hasher) parseArgon2(rest string) (hashValue, bool) {
	var v argon2Value
	fields := strings.Split(rest, "$")
	switch len(fields) {
	case 5:
		text, found := strings.CutPrefix(fields[1], "v=")
		version, ok := parseDecimal(text)
		if !found || !ok || (version != argon2v10 && version != argon2v13) {
			return nil, false
		}
		v.version = version
		fields = append(fields[:1], fields[2:]...)
	case 4:
		v.version = argon2v10
	default:
		return nil, false
	}
	variant, known := argon2Variants[fields[0]]
	if !known {
		return nil, false
	}
	v.variant = variant
	mText, rest, _ := strings.Cut(fields[1], ",")
	tText, pText, _ := strings.Cut(rest, ",")
	m, okM := parsePrefixed(mText, "m=")
	t, okT := parsePrefixed(tText, "t=")
	par, okP := parsePrefixed(pText, "p=")
	if !okM || !okT || !okP || t < 1 || t > MaxArgon2Time || par < 1 || par > MaxArgon2Threads ||
		m < 8*par || m > int(h.maxArgon2Memory) {
		return nil, false
	}
	enc := base64.RawStdEncoding.Strict()
	salt, errS := enc.DecodeString(fields[2])
	hash, errH := enc.DecodeString(fields[3])
	if errS != nil || errH != nil || len(salt) < 8 || len(hash) < 4 {
		return nil, false
	}
	v.memory, v.time, v.threads, v.salt, v.hash = uint32(m), uint32(t), uint8(par), salt, hash
	return v, true
}

// matches derives the key with the value's parameters: version 19 argon2i
// and argon2id through x/crypto, the rest (version 16, argon2d) through
// this package's own implementation.
func (v argon2Value) matches(_ *Hasher, password string) bool {
	var key []byte
	keyLen := uint32(len(v.hash))
	switch {
	case v.version == argon2v13 && v.variant == argon2id:
		key = argon2.IDKey([]byte(password), v.salt, v.time, v.memory, v.threads, keyLen)
	case v.version == argon2v13 && v.variant == argon2i:
		key = argon2.Key([]byte(password), v.salt, v.time, v.memory, v.threads, keyLen)
	default:
		key = argon2Key(v.variant, v.version, []byte(password), v.salt, v.time, v.memory, v.threads, keyLen)
	}
	return subtle.ConstantTimeCompare(key, v.hash) == 1
}

// outdated: argon2 is never the configured algorithm.
func (argon2Value) outdated(*Hasher) bool { return true }
