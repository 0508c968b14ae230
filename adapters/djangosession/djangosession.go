// Package djangosession reads the session data of the Django backend
// (django_session.session_data) and checks its session auth hashes, with
// the old backend's SECRET_KEY and SECRET_KEY_FALLBACKS.
//
// The format is Django's signing.dumps as SessionBase.encode calls it
// (Django 3.1 and later): URL-safe base64 without padding of the compact
// JSON of the session, prefixed with "." when zlib-compressed, then ":" and
// the base62 timestamp, then ":" and the URL-safe base64 of an HMAC-SHA256
// keyed with SHA-256("django.contrib.sessions.SessionStoresigner" + key)
// (django.utils.crypto.salted_hmac). Everything here is a parser of data
// read from another system's database: it bounds sizes, checks the
// signature before decompressing, and never panics.
package djangosession

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// Salts Django uses: the session store's signing salt (key_salt of
// django.contrib.sessions.backends.*.SessionStore, plus Signer's "signer")
// and the key salt of AbstractBaseUser.get_session_auth_hash.
const (
	signingSalt  = "django.contrib.sessions.SessionStore" + "signer"
	authHashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
)

// Size limits. Django stores session data in a LONGTEXT and a session can
// grow with what views put in it, but a session that only says who is
// logged in is a few hundred bytes; these are far above any real one.
const (
	// MaxDataLen bounds the signed value as read.
	MaxDataLen = 1 << 20
	// MaxDecompressedLen bounds the JSON after zlib, so a small
	// compressed value cannot expand into gigabytes.
	MaxDecompressedLen = 4 << 20
)

// Codec verifies and reads Django session data. It is safe for concurrent
// use.
type Codec struct {
	signKeys [][]byte // HMAC keys derived from each secret, current first
	hashKeys [][]byte
}

var _ ports.DjangoSessionCodec = (*Codec)(nil)

// New returns a Codec for the old backend's SECRET_KEY and its
// SECRET_KEY_FALLBACKS, in Django's order. An empty key is refused: Django
// refuses to start without one, so data signed with it cannot exist.
func New(secretKey string, fallbacks ...string) (*Codec, error) {
	c := &Codec{}
	for i, k := range append([]string{secretKey}, fallbacks...) {
		if k == "" {
			if i == 0 {
				return nil, errors.New("djangosession: the secret key is empty")
			}
			return nil, fmt.Errorf("djangosession: fallback key %d is empty", i)
		}
		c.signKeys = append(c.signKeys, saltedKey(signingSalt, k))
		c.hashKeys = append(c.hashKeys, saltedKey(authHashSalt, k))
	}
	return c, nil
}

// saltedKey is the HMAC key of Django's salted_hmac(salt, …, secret,
// algorithm="sha256"): SHA-256 of the salt followed by the secret.
func saltedKey(salt, secret string) []byte {
	sum := sha256.Sum256([]byte(salt + secret))
	return sum[:]
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Decode verifies data's signature with each key and returns the login it
// records. cutover.ErrBadSignature when no key signed it (as Django, which
// then treats the session as empty); cutover.ErrMalformedSession when it is
// signed but not a readable session, or over the size limits.
func (c *Codec) Decode(data string) (cutover.Login, error) {
	if len(data) > MaxDataLen {
		return cutover.Login{}, cutover.ErrMalformedSession.Wrap(errors.New("session data over the size limit"))
	}
	value, sig, found := cut(data)
	if !found || !c.signed(value, sig) {
		return cutover.Login{}, cutover.ErrBadSignature
	}
	payload, stamp, found := cut(value)
	if !found {
		return cutover.Login{}, malformed("no timestamp")
	}
	signedAt, err := base62(stamp)
	if err != nil {
		return cutover.Login{}, malformed("timestamp: %v", err)
	}
	raw, err := decodePayload(payload)
	if err != nil {
		return cutover.Login{}, err
	}
	login, err := parseSession(raw)
	if err != nil {
		return cutover.Login{}, err
	}
	login.SignedAt = time.Unix(signedAt, 0).UTC()
	return login, nil
}

// cut splits s at its last ":", as Django's rsplit(sep, 1).
func cut(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// signed reports whether sig is the signature of value under any key.
// Django compares the base64 text; comparing the decoded bytes instead
// would also accept a signature with altered padding bits.
func (c *Codec) signed(value, sig string) bool {
	ok := false
	for _, k := range c.signKeys {
		want := base64.RawURLEncoding.EncodeToString(mac(k, value))
		if hmac.Equal([]byte(want), []byte(sig)) {
			ok = true
		}
	}
	return ok
}

func malformed(format string, args ...any) error {
	return cutover.ErrMalformedSession.Wrap(fmt.Errorf(format, args...))
}

// decodePayload undoes the base64 and, for a value starting with ".", the
// zlib compression.
func decodePayload(payload string) ([]byte, error) {
	compressed := strings.HasPrefix(payload, ".")
	payload = strings.TrimPrefix(payload, ".")
	// Django strips the padding when encoding and adds it back when
	// decoding, so both forms reach Python's decoder.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return nil, malformed("base64: %v", err)
	}
	if !compressed {
		return raw, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, malformed("zlib: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxDecompressedLen+1))
	if err != nil {
		return nil, malformed("zlib: %v", err)
	}
	if len(out) > MaxDecompressedLen {
		return nil, malformed("decompressed session over the size limit")
	}
	return out, nil
}

// parseSession reads the JSON object Django's JSONSerializer wrote. Django
// decodes the bytes as Latin-1 before parsing; its own output is ASCII (the
// JSON escapes everything else), so any other byte is re-read the same way.
func parseSession(raw []byte) (cutover.Login, error) {
	if !utf8.Valid(raw) || bytes.ContainsFunc(raw, func(r rune) bool { return r >= 0x80 }) {
		raw = latin1ToUTF8(raw)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return cutover.Login{}, malformed("json: %v", err)
	}
	var login cutover.Login
	if v, ok := fields["_auth_user_id"]; ok {
		id, err := userID(v)
		if err != nil {
			return cutover.Login{}, err
		}
		login.UserID = id
	}
	if v, ok := fields["_auth_user_hash"]; ok {
		if err := json.Unmarshal(v, &login.AuthHash); err != nil {
			return cutover.Login{}, malformed("_auth_user_hash: %v", err)
		}
	}
	return login, nil
}

// userID reads _auth_user_id, which Django stores as the primary key's
// text (value_to_string); a number is accepted as its decimal text.
func userID(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if err := d.Decode(&n); err != nil {
		return "", malformed("_auth_user_id is neither text nor a number")
	}
	return n.String(), nil
}

func latin1ToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// base62Digits is Django's BASE62_ALPHABET (django.core.signing).
const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62 decodes Django's b62_encode of a Unix time. A leading "-" is
// Django's sign for negative numbers.
func base62(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 11 { // 62^11 > 2^63: longer cannot be a time
		return 0, errors.New("not a base62 number")
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base62Digits, s[i])
		if d < 0 {
			return 0, fmt.Errorf("invalid base62 digit %s", strconv.QuoteRune(rune(s[i])))
		}
		if n > (1<<63-1-int64(d))/62 {
			return 0, errors.New("base62 number overflows")
		}
		n = n*62 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// AuthHashMatches reports whether authHash is the session auth hash of a
// user whose encoded password is passwordHash: the hex HMAC-SHA256 of the
// password field keyed from get_session_auth_hash's salt and one of the
// secret keys (Django 5.1 accepts the fallbacks too).
func (c *Codec) AuthHashMatches(authHash, passwordHash string) bool {
	ok := false
	for _, k := range c.hashKeys {
		want := hex.EncodeToString(mac(k, passwordHash))
		if hmac.Equal([]byte(want), []byte(authHash)) {
			ok = true
		}
	}
	return ok
}
