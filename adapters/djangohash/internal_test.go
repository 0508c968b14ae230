package djangohash

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// TestTimingWorkSpent checks the timing guards: values that cannot match
// cost one dummy hash at the configured count, and a wrong password against
// a cheaper pbkdf2_sha256 hash is topped up to the configured count (Django's
// harden_runtime); values checked at full cost need nothing extra.
func TestTimingWorkSpent(t *testing.T) {
	t.Parallel()
	const configured = 10
	tests := []struct {
		name    string
		encoded string
		extra   []int
	}{
		{"empty", "", []int{configured}},
		{"unusable", "!abc", []int{configured}},
		{"unknown", "sha1$salt$hash", []int{configured}},
		{"malformed pbkdf2", "pbkdf2_sha256$x$y$z", []int{configured}},
		{"over limit", "pbkdf2_sha256$99999999$salt$hash", []int{configured}},
		{"argon2 over limit", "argon2$argon2id$v=19$m=99999999,t=2,p=8$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", []int{configured}},
		{"wrong password, same cost", "pbkdf2_sha256$10$salt$hash", nil},
		{"wrong password, cheaper hash", "pbkdf2_sha256$3$salt$hash", []int{configured - 3}},
		{"wrong password, dearer hash", "pbkdf2_sha256$12$salt$hash", nil},
		{"wrong password, cheaper sha1 hash", "pbkdf2_sha1$3$salt$hash", nil},
		{"wrong password, argon2", "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", nil},
		{"wrong password, argon2 version 16", "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg", nil},
		{"wrong password, bcrypt", "bcrypt$$2b$04$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW.", nil},
		{"bcrypt over the cost limit", "bcrypt$$2b$17$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW.", []int{configured}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := New(configured)
			var spent []int
			h.onSpend = func(n int) { spent = append(spent, n) }
			if ok, _ := h.Verify("pw", tc.encoded); ok {
				t.Fatal("matched")
			}
			if !slices.Equal(spent, tc.extra) {
				t.Errorf("extra work %v, want %v", spent, tc.extra)
			}
		})
	}
}

func TestIterationLimitFollowsConfiguration(t *testing.T) {
	t.Parallel()
	// A deployment configured above MaxIterations must still verify the
	// hashes it writes itself.
	tests := []struct {
		name       string
		iterations int
		want       int
	}{
		{"below the limit", 1000, MaxIterations},
		{"default", 0, MaxIterations},
		{"above the limit", MaxIterations + 5, MaxIterations + 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := New(tc.iterations).maxIterations; got != tc.want {
				t.Errorf("New(%d).maxIterations = %d, want %d", tc.iterations, got, tc.want)
			}
		})
	}
}

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true},
		{"870000", 870000, true},
		{"9999999999", 9999999999, true},
		{"99999999999", 0, false},
		{"", 0, false},
		{"01", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1e3", 0, false},
		{"١٢", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, ok := parseDecimal(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseDecimal(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	seeds := []string{
		"",
		"!",
		"pbkdf2_sha256$10$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac=",
		"pbkdf2_sha1$10$seasalt$ljleU4wBmTtz/MoG5YTwxpM0d7I=",
		"pbkdf2_sha256$999999999999$a$b",
		"argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
		"argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw",
		"argon2$argon2id$v=19$m=4294967295,t=4294967295,p=4294967295$$",
		"scrypt$16$seasalt$1$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
		"scrypt$1073741824$s$2147483647$2147483647$x",
		"bcrypt_sha256$$2b$12$abc",
		"bcrypt_sha256$$2b$04$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW.",
		"bcrypt$$2y$04$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW.",
		"argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg",
		"argon2$argon2d$v=16$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P",
		strings.Repeat("$", 100),
	}
	for _, s := range seeds {
		f.Add("secret", s)
	}
	f.Fuzz(func(t *testing.T, password, encoded string) {
		// Lower limits keep each execution in the milliseconds; the
		// parsing and bounds logic under test is the same.
		h := New(2)
		h.maxIterations = 1000
		h.maxArgon2Memory = 256
		h.maxScryptMemory = 1 << 16
		h.maxBcryptCost = 5
		ok, rehash := h.Verify(password, encoded)
		if rehash && !ok {
			t.Fatalf("needsRehash without a match for %q", encoded)
		}
		known := false
		for _, p := range []string{"pbkdf2_sha256$", "pbkdf2_sha1$", "argon2$", "scrypt$", "bcrypt_sha256$", "bcrypt$"} {
			known = known || strings.HasPrefix(encoded, p)
		}
		if ok && !known {
			t.Fatalf("matched unknown format %q", encoded)
		}
		// Inspect must agree with Verify: whatever matched is verifiable.
		if f := h.Inspect(encoded); ok && (!f.Verifiable || f.Unusable) {
			t.Fatalf("matched %q, which Inspect calls %+v", encoded, f)
		}
	})
}

// TestRejectedBeforeHashing checks that malformed or over-limit values are
// refused by the parser (one dummy hash, no match) even when their key is
// the right one for the password, so each check is what refuses them.
func TestRejectedBeforeHashing(t *testing.T) {
	t.Parallel()
	b64 := base64.RawStdEncoding
	salt8 := []byte("saltsalt")
	argonKey := func(variant string, salt []byte, m, tc uint32, p uint8) string {
		if variant == "argon2id" {
			return b64.EncodeToString(argon2.IDKey([]byte("pw"), salt, tc, m, p, 16))
		}
		return b64.EncodeToString(argon2.Key([]byte("pw"), salt, tc, m, p, 16))
	}
	argonEnc := func(variant, version string, salt []byte, m, tc uint32, p uint8) string {
		return fmt.Sprintf("argon2$%s$%s$m=%d,t=%d,p=%d$%s$%s", variant, version, m, tc, p,
			b64.EncodeToString(salt), argonKey(variant, salt, m, tc, p))
	}
	scryptEnc := func(salt string, n, r, p int) string {
		key, err := scrypt.Key([]byte("pw"), []byte(salt), n, r, p, 64)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", n, salt, r, p, base64.StdEncoding.EncodeToString(key))
	}
	// bcryptEnc hashes "pw" with a fixed salt as Django's bcrypt hashers
	// do, under the prefix 2<minor>.
	bcryptEnc := func(alg, minor string, cost int) string {
		secret := []byte("pw")
		if alg == "bcrypt_sha256" {
			sum := sha256.Sum256(secret)
			secret = []byte(hex.EncodeToString(sum[:]))
		}
		crypt, err := bcrypt.GenerateFromPassword(secret, cost)
		if err != nil {
			t.Fatal(err)
		}
		return alg + "$" + strings.Replace(string(crypt), "$2a$", "$"+minor+"$", 1)
	}
	pbkdf2Enc := func(salt string, iter int) string {
		key, err := pbkdf2.Key(sha256.New, "pw", []byte(salt), iter, 32)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iter, salt, base64.StdEncoding.EncodeToString(key))
	}
	// Flip the unused low bits of the last base64 character: lenient
	// decoders return the same bytes, the argon2 reference decoder refuses.
	nonCanonical := func(s string) string {
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", s[len(s)-1])
		return s[:len(s)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last|1])
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"pbkdf2 over the iteration limit", pbkdf2Enc("abcdefghijklmnopqrstuv", 101)},
		{"pbkdf2 longer than maxEncodedLen", pbkdf2Enc(strings.Repeat("s", maxEncodedLen), 10)},
		{"argon2 unknown variant", strings.Replace(argonEnc("argon2id", "v=19", salt8, 8, 1, 1), "argon2id", "argon2x", 1)},
		{"argon2 version 18", argonEnc("argon2i", "v=18", salt8, 8, 1, 1)},
		{"argon2 version with a leading zero", argonEnc("argon2i", "v=019", salt8, 8, 1, 1)},
		{"argon2 empty version", argonEnc("argon2i", "v=", salt8, 8, 1, 1)},
		{"argon2 three fields", "argon2$argon2i$m=8,t=1,p=1$" + b64.EncodeToString(salt8)},
		{"bcrypt cost over the limit", bcryptEnc("bcrypt", "2b", MaxBcryptCost+1)},
		{"bcrypt cost under 4", "bcrypt$$2b$03$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW."},
		{"bcrypt cost with a sign", "bcrypt$$2b$+5$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW."},
		{"bcrypt $2x$ prefix", bcryptEnc("bcrypt", "2x", 4)},
		{"bcrypt $3b$ prefix", strings.Replace(bcryptEnc("bcrypt", "2b", 4), "$2b$", "$3b$", 1)},
		{"bcrypt one character short", bcryptEnc("bcrypt", "2b", 4)[:len(bcryptEnc("bcrypt", "2b", 4))-1]},
		{"bcrypt one character long", bcryptEnc("bcrypt", "2b", 4) + "."},
		{"bcrypt character outside its alphabet", bcryptEnc("bcrypt", "2b", 4)[:40] + "+" + bcryptEnc("bcrypt", "2b", 4)[41:]},
		{"bcrypt_sha256 single dollar", strings.Replace(bcryptEnc("bcrypt_sha256", "2b", 4), "$$", "$", 1)},
		{"argon2 memory under 8 per lane", argonEnc("argon2id", "v=19", salt8, 8, 1, 2)},
		{"argon2 memory over the limit", argonEnc("argon2id", "v=19", salt8, 128, 1, 1)},
		{"argon2 time over the limit", argonEnc("argon2i", "v=19", salt8, 8, MaxArgon2Time+1, 1)},
		{"argon2 salt under 8 bytes", argonEnc("argon2id", "v=19", []byte("salt"), 8, 1, 1)},
		{"argon2 non-canonical base64", nonCanonical(argonEnc("argon2id", "v=19", salt8, 8, 1, 1))},
		{"scrypt p over the limit", scryptEnc("seasalt", 16, 1, MaxScryptParallelism+1)},
		{"scrypt memory over the limit", scryptEnc("seasalt", 1024, 1, 1)},
		{"scrypt n not a power of two", "scrypt$12$seasalt$1$1$" + strings.Repeat("A", 86) + "=="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := lowLimits(New(10))
			n := 0
			h.onSpend = func(int) { n++ }
			if ok, rehash := h.Verify("pw", tc.encoded); ok || rehash || n != 1 {
				t.Errorf("Verify = %v, %v with %d dummy hashes; want false, false, 1", ok, rehash, n)
			}
		})
	}
	// The same builders make values that are accepted, so the cases above
	// fail for the reason their names give.
	for _, encoded := range []string{pbkdf2Enc("abcdefghijklmnopqrstuv", 100), argonEnc("argon2id", "v=19", salt8, 64, 1, 1),
		argonEnc("argon2i", "v=19", salt8, 16, 1, 2), scryptEnc("seasalt", 16, 1, 1),
		bcryptEnc("bcrypt", "2b", 4), bcryptEnc("bcrypt_sha256", "2y", MaxBcryptCost-11)} {
		if ok, _ := lowLimits(New(10)).Verify("pw", encoded); !ok {
			t.Errorf("control value %q does not verify", encoded)
		}
	}
}

// lowLimits shrinks h's limits so over-limit cases stay cheap to build.
func lowLimits(h *Hasher) *Hasher {
	h.maxIterations = 100
	h.maxArgon2Memory = 64
	h.maxScryptMemory = 64 << 10
	return h
}

// TestSaltUniform checks the salt characters with a chi-square test, so a
// biased draw (as from b%62 without rejecting bytes 248–255, which favours
// the first seven characters by 25 %) fails. Uniform salts exceed the bound
// with probability below one in a billion.
func TestSaltUniform(t *testing.T) {
	t.Parallel()
	const salts = 5000
	counts := map[byte]int{}
	for range salts {
		for _, c := range []byte(newSalt()) {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters, want 62", len(counts))
	}
	expected := float64(salts*saltLen) / 62
	chi2 := 0.0
	for _, c := range []byte(saltAlphabet) {
		d := float64(counts[c]) - expected
		chi2 += d * d / expected
	}
	// 61 degrees of freedom: mean 61, and P(χ² > 150) < 1e-9.
	if chi2 > 150 {
		t.Errorf("χ² = %.1f over 61 degrees of freedom: salt characters are not uniform", chi2)
	}
}
