// Package djangosessiontest writes session data as Django does, for tests
// that need django_session rows: Onit itself only ever reads them.
package djangosessiontest

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Compression says whether Encode compresses.
type Compression int

// Compression choices: Django's (zlib when it saves space), always, never.
const (
	CompressIfSmaller Compression = iota
	CompressAlways
	CompressNever
)

// Encode signs session as Django's SessionBase.encode does with secret at
// the time at. Django's JSON escapes non-ASCII characters; Go's escapes
// them too (and also <, > and &), which Django reads the same.
func Encode(secret string, session map[string]any, compress Compression, at time.Time) string {
	data, err := json.Marshal(session)
	if err != nil {
		panic(err) // a test's own fixture
	}
	data = asciiJSON(data)
	prefix := ""
	if compress != CompressNever {
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		_, _ = zw.Write(data)
		_ = zw.Close()
		if compress == CompressAlways || buf.Len() < len(data)-1 {
			data, prefix = buf.Bytes(), "."
		}
	}
	value := prefix + base64.RawURLEncoding.EncodeToString(data) + ":" + base62(at.Unix())
	return value + ":" + base64.RawURLEncoding.EncodeToString(mac("django.contrib.sessions.SessionStoresigner", secret, value))
}

// AuthHash is Django's get_session_auth_hash for a user whose encoded
// password is passwordHash.
func AuthHash(secret, passwordHash string) string {
	return hex.EncodeToString(mac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", secret, passwordHash))
}

// Login is the session Django's login() leaves for a user.
func Login(secret string, userID int64, passwordHash string) map[string]any {
	return map[string]any{
		"_auth_user_id":      strconv.FormatInt(userID, 10),
		"_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash":    AuthHash(secret, passwordHash),
	}
}

func mac(salt, secret, msg string) []byte {
	key := sha256.Sum256([]byte(salt + secret))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// asciiJSON escapes every non-ASCII character as Python's json.dumps does.
func asciiJSON(b []byte) []byte {
	var out strings.Builder
	for _, r := range string(b) {
		if r < 0x80 {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16(r) {
			out.WriteString(`\u` + hex4(u))
		}
	}
	return []byte(out.String())
}

func utf16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + (r >> 10)), uint16(0xDC00 + (r & 0x3FF))}
}

func hex4(u uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[u>>12], digits[u>>8&15], digits[u>>4&15], digits[u&15]})
}

func base62(n int64) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	if n == 0 {
		return "0"
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%62]}, b...)
		n /= 62
	}
	return sign + string(b)
}
