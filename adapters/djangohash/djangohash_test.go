package djangohash_test

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/onitapp/onit/adapters/djangohash"
)

// Vectors made by Django or by Python's hashlib, which Django calls, so they
// fix the format independently of this package's own code.
const (
	// django-parity.md: make_password("lètmein", "seasalt", "pbkdf2_sha256") in 5.1.
	djangoPBKDF2 = "pbkdf2_sha256$870000$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac="
	// hashlib.pbkdf2_hmac("sha1", "lètmein", b"seasalt", 1000).
	pythonPBKDF2SHA1 = "pbkdf2_sha1$1000$seasalt$ljleU4wBmTtz/MoG5YTwxpM0d7I="
	// Django's test suite: argon2i of "secret" and an argon2id of "secret"
	// made with Django's default parameters.
	djangoArgon2i  = "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q"
	djangoArgon2id = "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw"
	// Django's test suite: make_password("lètmein", "seasalt", "scrypt").
	djangoScrypt = "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
	// hashlib.scrypt("lètmein", salt=b"seasalt", n=1024, r=8, p=2, dklen=64).
	pythonScrypt = "scrypt$1024$seasalt$8$2$ylBb6daEEOiWv715RdZjAQY2sCZyviI8Gk4Qz8egzdPcZ5baGOYhkjwKYX65XisU8LUU4Bb+tGgXztJ63qDLlQ=="
	// Django's test suite: argon2 hash from before the v= field (version 16),
	// of "secret".
	djangoArgon2v16 = "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"
)

// testIterations keeps hashing fast; only Django's vector uses 870,000.
const testIterations = 1000

// pbkdf2Encoded builds a pbkdf2_sha256 value by hand, to test Verify on
// salts and counts Hash would never produce.
func pbkdf2Encoded(t *testing.T, password, salt string, iterations int) string {
	t.Helper()
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key))
}

// djangoArgon2Encoded encodes like Django's Argon2PasswordHasher: argon2-cffi's
// PHC string (unpadded standard base64 of the salt's bytes and of a 32-byte
// argon2id hash) behind the "argon2" algorithm name.
func djangoArgon2Encoded(t *testing.T, password, salt string, m, tc uint32, p uint8) string {
	t.Helper()
	key := argon2.IDKey([]byte(password), []byte(salt), tc, m, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tc, p,
		b64.EncodeToString([]byte(salt)), b64.EncodeToString(key))
}

func TestVerifyDjangoVectors(t *testing.T) {
	t.Parallel()
	h := djangohash.New(djangohash.DefaultIterations)
	tests := []struct {
		name     string
		encoded  string
		password string
		wrong    string
	}{
		{"pbkdf2_sha256 at 870000", djangoPBKDF2, "lètmein", "letmein"},
		{"pbkdf2_sha1", pythonPBKDF2SHA1, "lètmein", "lètmein "},
		{"argon2i", djangoArgon2i, "secret", "Secret"},
		{"argon2id with Django's defaults", djangoArgon2id, "secret", "secret!"},
		{"scrypt with Django's defaults", djangoScrypt, "lètmein", "lètmeinz"},
		{"scrypt with p=2", pythonScrypt, "lètmein", ""},
		{"argon2id made like Django", djangoArgon2Encoded(t, "lètmein", "abcdefghijklmnopqrstuv", 102400, 2, 8), "lètmein", "lètmein\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, _ := h.Verify(tc.password, tc.encoded)
			if !ok {
				t.Errorf("Verify(%q) = false, want true", tc.password)
			}
			if ok, rehash := h.Verify(tc.wrong, tc.encoded); ok || rehash {
				t.Errorf("Verify(%q) = %v, %v; want false, false", tc.wrong, ok, rehash)
			}
		})
	}
}

var encodedShape = regexp.MustCompile(`^pbkdf2_sha256\$1000\$([a-zA-Z0-9]{22})\$([A-Za-z0-9+/]{43}=)$`)

func TestHashRoundTrip(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	tests := []string{"lètmein", "", " ", "😀 correct horse", strings.Repeat("x", 1000)}
	salts := map[string]bool{}
	for _, pw := range tests {
		t.Run(fmt.Sprintf("%.10q", pw), func(t *testing.T) {
			encoded, err := h.Hash(pw)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			m := encodedShape.FindStringSubmatch(encoded)
			if m == nil {
				t.Fatalf("Hash = %q, not pbkdf2_sha256$1000$<22 alphanumerics>$<44 base64>", encoded)
			}
			if salts[m[1]] {
				t.Errorf("salt %q repeated", m[1])
			}
			salts[m[1]] = true
			if want := pbkdf2Encoded(t, pw, m[1], testIterations); encoded != want {
				t.Errorf("Hash = %q, want %q for its salt", encoded, want)
			}
			if ok, rehash := h.Verify(pw, encoded); !ok || rehash {
				t.Errorf("Verify(own hash) = %v, %v; want true, false", ok, rehash)
			}
			if ok, _ := h.Verify(pw+"x", encoded); ok {
				t.Error("Verify(other password) = true")
			}
		})
	}
}

func TestSaltAlphabet(t *testing.T) {
	t.Parallel()
	// 300 salts draw 6,600 characters: every one of the 62 must appear (a
	// missing one has probability below 1e-40), and none outside them.
	h := djangohash.New(1)
	seen := map[rune]int{}
	for range 300 {
		encoded, err := h.Hash("x")
		if err != nil {
			t.Fatal(err)
		}
		salt := strings.Split(encoded, "$")[2]
		if len(salt) != 22 {
			t.Fatalf("salt %q has %d characters, want 22", salt, len(salt))
		}
		for _, r := range salt {
			seen[r]++
		}
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for _, r := range alphabet {
		if seen[r] == 0 {
			t.Errorf("salt character %q never drawn", r)
		}
		delete(seen, r)
	}
	if len(seen) > 0 {
		t.Errorf("salt characters outside [a-zA-Z0-9]: %v", seen)
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	salt := "abcdefghijklmnopqrstuv"
	tests := []struct {
		name    string
		encoded string
		want    bool
	}{
		{"current", pbkdf2Encoded(t, "pw", salt, testIterations), false},
		{"fewer iterations", pbkdf2Encoded(t, "pw", salt, testIterations-1), true},
		{"more iterations", pbkdf2Encoded(t, "pw", salt, testIterations+1), true},
		{"21-character salt", pbkdf2Encoded(t, "pw", salt[:21], testIterations), true},
		{"longer salt", pbkdf2Encoded(t, "pw", salt+"wxyz", testIterations), false},
		{"22 characters, fewer bytes than 22 would be wrong to count", pbkdf2Encoded(t, "pw", "ééééééééééééééééééééé", testIterations), true},
		{"pbkdf2_sha1", "pbkdf2_sha1$1000$seasaltseasaltseasalt1$" + sha1Key(t, "pw", "seasaltseasaltseasalt1", 1000), true},
		{"argon2", djangoArgon2Encoded(t, "pw", salt, 8, 1, 1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash := h.Verify("pw", tc.encoded)
			if !ok || rehash != tc.want {
				t.Errorf("Verify = %v, %v; want true, %v", ok, rehash, tc.want)
			}
		})
	}
}

func sha1Key(t *testing.T, password, salt string, iterations int) string {
	t.Helper()
	key, err := pbkdf2.Key(sha1.New, password, []byte(salt), iterations, 20)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key)
}

func TestVerifyNeverMatches(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	good := pbkdf2Encoded(t, "pw", "abcdefghijklmnopqrstuv", testIterations)
	goodKey := strings.Split(good, "$")[3]
	argonSalt := base64.RawStdEncoding.EncodeToString([]byte("saltsalt"))
	argonKey := base64.RawStdEncoding.EncodeToString(argon2.Key([]byte("pw"), []byte("saltsalt"), 1, 8, 1, 16))
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"unusable", "!"},
		{"unusable with suffix", "!" + good},
		{"unknown algorithm", "md5$salt$" + goodKey},
		{"bcrypt_sha256 of another password", "bcrypt_sha256$$2b$04$abcdefghijklmnopqrstuu5g9JzqfzJPR8kx0JqE9zYmHZqg5YwL2"},
		{"legacy md5", "md5$seasalt$f5dcc2b3b1c1d5f3b1b1c1d5f3b1b1c1"},
		{"legacy unsalted md5", "5ebe2294ecd0e0f08eab7690d2a6ee69"},
		{"algorithm only", "pbkdf2_sha256"},
		{"missing hash", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv"},
		{"empty salt", "pbkdf2_sha256$1000$$" + goodKey},
		{"huge iterations", "pbkdf2_sha256$999999999999$abcdefghijklmnopqrstuv$" + goodKey},
		{"over the iteration limit", "pbkdf2_sha256$10000001$abcdefghijklmnopqrstuv$" + goodKey},
		{"negative iterations", "pbkdf2_sha256$-1000$abcdefghijklmnopqrstuv$" + goodKey},
		{"zero iterations", "pbkdf2_sha256$0$abcdefghijklmnopqrstuv$" + goodKey},
		{"leading zero", "pbkdf2_sha256$01000$abcdefghijklmnopqrstuv$" + goodKey},
		{"plus sign", "pbkdf2_sha256$+1000$abcdefghijklmnopqrstuv$" + goodKey},
		{"unpadded key", strings.TrimSuffix(good, "=")},
		{"url-safe key", strings.NewReplacer("+", "-", "/", "_").Replace(good) + "$"},
		{"extra field", good + "$x"},
		{"wrong algorithm case", "PBKDF2_SHA256" + strings.TrimPrefix(good, "pbkdf2_sha256")},
		{"too long", good + strings.Repeat("=", 2000)},
		{"argon2 garbage", "argon2$garbage"},
		{"argon2d with an argon2i key", "argon2$argon2d$v=19$m=8,t=1,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 version 16 of another password", djangoArgon2v16},
		{"argon2 version 16 label on a version 19 key", "argon2$argon2i$v=16$m=8,t=1,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 absurd memory", "argon2$argon2i$v=19$m=4294967295,t=1,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 memory over limit", "argon2$argon2i$v=19$m=1048577,t=1,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 absurd time", "argon2$argon2i$v=19$m=8,t=4294967295,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 zero time", "argon2$argon2i$v=19$m=8,t=0,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 zero lanes", "argon2$argon2i$v=19$m=8,t=1,p=0$" + argonSalt + "$" + argonKey},
		{"argon2 256 lanes", "argon2$argon2i$v=19$m=4096,t=1,p=256$" + argonSalt + "$" + argonKey},
		{"argon2 memory below 8 per lane", "argon2$argon2i$v=19$m=8,t=1,p=2$" + argonSalt + "$" + argonKey},
		{"argon2 leading zero", "argon2$argon2i$v=19$m=08,t=1,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 parameters reordered", "argon2$argon2i$v=19$t=1,m=8,p=1$" + argonSalt + "$" + argonKey},
		{"argon2 padded base64", "argon2$argon2i$v=19$m=8,t=1,p=1$" + argonSalt + "$" + argonKey + "=="},
		{"argon2 bad base64", "argon2$argon2i$v=19$m=8,t=1,p=1$" + argonSalt + "$!!!!"},
		{"argon2 short salt", "argon2$argon2i$v=19$m=8,t=1,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("salt")) + "$" + argonKey},
		{"argon2 short hash", "argon2$argon2i$v=19$m=8,t=1,p=1$" + argonSalt + "$AAA"},
		{"scrypt n not a power of two", "scrypt$1000$seasalt$8$1$" + goodKey},
		{"scrypt huge n", "scrypt$1073741824$seasalt$8$1$" + goodKey},
		{"scrypt memory over 32 MiB", "scrypt$32768$seasalt$8$1$" + goodKey},
		{"scrypt huge p", "scrypt$16$seasalt$1$1000000$" + goodKey},
		{"scrypt missing field", "scrypt$16384$seasalt$8$" + goodKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, pw := range []string{"pw", "", "!"} {
				if ok, rehash := h.Verify(pw, tc.encoded); ok || rehash {
					t.Errorf("Verify(%q, %.60q) = %v, %v; want false, false", pw, tc.encoded, ok, rehash)
				}
			}
		})
	}
	// The argon2 fixtures above are only meaningful if the intact value
	// matches; otherwise every argon2 case would pass for the wrong reason.
	if ok, _ := h.Verify("pw", "argon2$argon2i$v=19$m=8,t=1,p=1$"+argonSalt+"$"+argonKey); !ok {
		t.Error("intact argon2 fixture does not verify")
	}
	if ok, _ := h.Verify("pw", good); !ok {
		t.Error("intact pbkdf2 fixture does not verify")
	}
}

// TestBcryptNULPassword: pyca/bcrypt refuses a password holding a NUL
// byte, so no Django user can have logged in with one; Onit never matches
// it, even against a hash of those very bytes.
func TestBcryptNULPassword(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	for _, pw := range []string{"a\x00b", "ab"} {
		crypt, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := h.Verify(pw, "bcrypt$"+string(crypt))
		if want := !strings.ContainsRune(pw, 0); ok != want {
			t.Errorf("Verify(%q) = %v, want %v", pw, ok, want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		iterations int
		want       string
	}{
		{"zero means Django 5.1", 0, "pbkdf2_sha256$870000$"},
		{"negative means Django 5.1", -5, "pbkdf2_sha256$870000$"},
		{"explicit", 1, "pbkdf2_sha256$1$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.iterations < 1 && testing.Short() {
				t.Skip("hashes at 870,000 iterations")
			}
			encoded, err := djangohash.New(tc.iterations).Hash("x")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(encoded, tc.want) {
				t.Errorf("Hash = %q, want prefix %q", encoded, tc.want)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	h := djangohash.New(djangohash.DefaultIterations)
	encoded, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	benches := []struct {
		name, password, encoded string
	}{
		{"match", "correct horse battery staple", encoded},
		{"mismatch", "wrong", encoded},
		{"unusable", "wrong", "!unusable"},
		{"argon2id Django defaults", "secret", djangoArgon2id},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				h.Verify(bc.password, bc.encoded)
			}
		})
	}
}
