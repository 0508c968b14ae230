package djangosession_test

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/djangosession"
	"github.com/onitapp/onit/adapters/djangosession/djangosessiontest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/cutover"
)

// vectors is testdata/django_vectors.json, written by Django 3.2 itself
// (see testdata/make_vectors.py).
type vectors struct {
	Django   string `json:"django"`
	Secret   string `json:"secret"`
	Sessions []struct {
		Name     string   `json:"name"`
		Data     string   `json:"data"`
		Keys     []string `json:"keys"`
		UserID   string   `json:"user_id"`
		AuthHash string   `json:"auth_hash"`
		Error    string   `json:"error"`
	} `json:"sessions"`
	AuthHashes []struct {
		Secret   string `json:"secret"`
		Password string `json:"password"`
		AuthHash string `json:"auth_hash"`
	} `json:"auth_hashes"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/django_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Sessions) < 8 || len(v.AuthHashes) < 8 {
		t.Fatalf("only %d sessions and %d auth hashes in the vectors", len(v.Sessions), len(v.AuthHashes))
	}
	return v
}

func newCodec(t *testing.T, keys ...string) *djangosession.Codec {
	t.Helper()
	c, err := djangosession.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecodeDjangoVectors(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	for _, tc := range v.Sessions {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			login, err := newCodec(t, tc.Keys...).Decode(tc.Data)
			switch tc.Error {
			case "bad_signature":
				if !errors.Is(err, cutover.ErrBadSignature) {
					t.Fatalf("Decode = %+v, %v; want ErrBadSignature", login, err)
				}
				return
			case "":
			default:
				t.Fatalf("unknown expected error %q", tc.Error)
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if login.UserID != tc.UserID || login.AuthHash != tc.AuthHash {
				t.Errorf("Decode = user %q hash %q; want %q %q", login.UserID, login.AuthHash, tc.UserID, tc.AuthHash)
			}
			// The vectors were made in 2026 or later, by a Django that
			// stamps its signatures with the time of signing.
			if login.SignedAt.Year() < 2024 || login.SignedAt.After(time.Now().Add(time.Hour)) {
				t.Errorf("SignedAt = %v, not the time the vectors were made", login.SignedAt)
			}
		})
	}
}

func TestAuthHashDjangoVectors(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	for _, tc := range v.AuthHashes {
		// One codec holding only this secret accepts the hash; one holding
		// another secret does not; one listing it as a fallback does.
		other := "some-other-secret-key"
		if !newCodec(t, tc.Secret).AuthHashMatches(tc.AuthHash, tc.Password) {
			t.Errorf("AuthHashMatches(%q, %.20q) with its secret = false", tc.AuthHash, tc.Password)
		}
		if newCodec(t, other).AuthHashMatches(tc.AuthHash, tc.Password) {
			t.Errorf("AuthHashMatches(%q) with another secret = true", tc.AuthHash)
		}
		if !newCodec(t, other, tc.Secret).AuthHashMatches(tc.AuthHash, tc.Password) {
			t.Errorf("AuthHashMatches(%q) with the secret as a fallback = false", tc.AuthHash)
		}
		if newCodec(t, tc.Secret).AuthHashMatches(tc.AuthHash, tc.Password+"x") {
			t.Errorf("AuthHashMatches(%q) for another password hash = true", tc.AuthHash)
		}
	}
}

func TestEncoderAgreesWithDjango(t *testing.T) {
	t.Parallel()
	// The test encoder must produce what Django produces, or the
	// import tests built on it would prove nothing.
	v := loadVectors(t)
	for _, tc := range v.AuthHashes {
		if got := djangosessiontest.AuthHash(tc.Secret, tc.Password); got != tc.AuthHash {
			t.Errorf("djangosessiontest.AuthHash = %q, Django %q", got, tc.AuthHash)
		}
	}
	c := newCodec(t, v.Secret)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, comp := range []djangosessiontest.Compression{djangosessiontest.CompressIfSmaller, djangosessiontest.CompressAlways, djangosessiontest.CompressNever} {
		session := djangosessiontest.Login(v.Secret, 42, "pbkdf2_sha256$1$a$b")
		session["note"] = "Zoë 😀 <x>"
		data := djangosessiontest.Encode(v.Secret, session, comp, at)
		if got := strings.HasPrefix(data, "."); got != (comp != djangosessiontest.CompressNever) {
			t.Errorf("compression %d: data starts with %q", comp, data[:1])
		}
		login, err := c.Decode(data)
		if err != nil || login.UserID != "42" || !login.SignedAt.Equal(at) ||
			!c.AuthHashMatches(login.AuthHash, "pbkdf2_sha256$1$a$b") {
			t.Errorf("compression %d: Decode = %+v, %v", comp, login, err)
		}
	}
}

// sign signs value as Django would with secret, for hand-made payloads.
func sign(secret, value string) string {
	key := sha256.Sum256([]byte("django.contrib.sessions.SessionStoresigner" + secret))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(value))
	return value + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func TestDecodeSignedButMalformed(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	c := newCodec(t, secret)
	bomb := zlibBytes(bytes.Repeat([]byte(" "), djangosession.MaxDecompressedLen+10))
	tests := []struct {
		name, value string
	}{
		{"no timestamp", b64([]byte(`{}`))},
		{"bad timestamp digit", b64([]byte(`{}`)) + ":1r3!"},
		{"empty timestamp", b64([]byte(`{}`)) + ":"},
		{"overlong timestamp", b64([]byte(`{}`)) + ":zzzzzzzzzzzz"},
		{"not base64", "***:1r31eq"},
		{"not zlib", "." + b64([]byte("plain")) + ":1r31eq"},
		{"truncated zlib", "." + b64(zlibBytes([]byte(`{"a":1}`))[:5]) + ":1r31eq"},
		{"decompression bomb", "." + b64(bomb) + ":1r31eq"},
		{"not JSON", b64([]byte("pickle")) + ":1r31eq"},
		{"JSON array", b64([]byte(`[1,2]`)) + ":1r31eq"},
		{"user id an object", b64([]byte(`{"_auth_user_id":{}}`)) + ":1r31eq"},
		{"auth hash a number", b64([]byte(`{"_auth_user_id":"1","_auth_user_hash":5}`)) + ":1r31eq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Decode(sign(secret, tc.value))
			if !errors.Is(err, cutover.ErrMalformedSession) || !domain.IsKind(err, domain.KindInvalid) {
				t.Fatalf("Decode = %v, want ErrMalformedSession", err)
			}
		})
	}
	t.Run("over the size limit, before checking the signature", func(t *testing.T) {
		t.Parallel()
		_, err := c.Decode(sign(secret, strings.Repeat("A", djangosession.MaxDataLen)+":1r31eq"))
		if !errors.Is(err, cutover.ErrMalformedSession) {
			t.Fatalf("Decode = %v, want ErrMalformedSession", err)
		}
	})
}

func TestDecodeAcceptedShapes(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	c := newCodec(t, secret)
	tests := []struct {
		name, value, userID, hash string
		at                        int64
	}{
		{"numeric user id", b64([]byte(`{"_auth_user_id":17,"_auth_user_hash":"h"}`)) + ":1r31eq", "17", "h", 1700000000},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(`{"_auth_user_id":"5"}`)) + ":0", "5", "", 0},
		{"Latin-1 bytes", b64([]byte("{\"_auth_user_id\":\"9\",\"n\":\"\xe9\"}")) + ":1", "9", "", 1},
		{"negative timestamp", b64([]byte(`{}`)) + ":-1", "", "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			login, err := c.Decode(sign(secret, tc.value))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if login.UserID != tc.userID || login.AuthHash != tc.hash || login.SignedAt.Unix() != tc.at {
				t.Errorf("Decode = %+v; want user %q hash %q at %d", login, tc.userID, tc.hash, tc.at)
			}
		})
	}
}

func TestNewRefusesEmptyKeys(t *testing.T) {
	t.Parallel()
	if _, err := djangosession.New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
	if _, err := djangosession.New("k", ""); err == nil {
		t.Error("New with an empty fallback succeeded")
	}
}

// FuzzDecode feeds Decode arbitrary data, both as it comes (almost always
// a bad signature) and signed with the codec's key, so the parsing behind
// the signature check is reached. It must never panic, and anything it
// accepts must carry a signature it checked.
func FuzzDecode(f *testing.F) {
	f.Add(b64([]byte(`{"_auth_user_id":"1","_auth_user_hash":"x"}`))+":1r31eq", true)
	f.Add("."+b64(zlibBytes([]byte(`{"_auth_user_id":"1"}`)))+":1r31eq", true)
	f.Add("no separator", false)
	f.Add("a:b:c", false)
	f.Add(".:-:", true)
	const secret = "fuzz-secret"
	c, err := djangosession.New(secret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value string, signIt bool) {
		data := value
		if signIt {
			data = sign(secret, value)
		}
		_, err := c.Decode(data)
		if err != nil {
			if !errors.Is(err, cutover.ErrBadSignature) && !errors.Is(err, cutover.ErrMalformedSession) {
				t.Fatalf("Decode(%q) = %v: neither bad signature nor malformed", data, err)
			}
			return
		}
		if i := strings.LastIndexByte(data, ':'); i < 0 || sign(secret, data[:i]) != data {
			t.Fatalf("accepted %q, which was not signed with the key", data)
		}
	})
}
