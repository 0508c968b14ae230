package djangohash_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/djangohash"
)

// djangoVector is one entry of testdata/django_vectors.json, made by
// Django 3.2's own hashers (see testdata/make_vectors.py).
type djangoVector struct {
	Name               string `json:"name"`
	Password           string `json:"password"`
	Wrong              string `json:"wrong"`
	Encoded            string `json:"encoded"`
	DjangoAccepts      bool   `json:"django_accepts"`
	DjangoAcceptsWrong bool   `json:"django_accepts_wrong"`
}

func loadDjangoVectors(t *testing.T) []djangoVector {
	t.Helper()
	b, err := os.ReadFile("testdata/django_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []djangoVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 15 {
		t.Fatalf("only %d vectors", len(file.Vectors))
	}
	return file.Vectors
}

// legacyAlgorithms are Django hashers Onit deliberately does not verify.
var legacyAlgorithms = []string{"md5$", "sha1$", "unsalted_md5", "crypt$"}

func isLegacy(encoded string) bool {
	for _, p := range legacyAlgorithms {
		if strings.HasPrefix(encoded, p) || (p == "unsalted_md5" && len(encoded) == 32) {
			return true
		}
	}
	return false
}

// TestVerifyAgreesWithDjango checks every supported vector gets Django's
// own verdict for the right and the wrong password, and asks for a
// re-hash on a match (none of them is the configured pbkdf2_sha256), so
// such users move to the default hasher on their next login.
func TestVerifyAgreesWithDjango(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	for _, v := range loadDjangoVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			ok, rehash := h.Verify(v.Password, v.Encoded)
			okWrong, _ := h.Verify(v.Wrong, v.Encoded)
			if isLegacy(v.Encoded) {
				if ok || okWrong {
					t.Fatalf("legacy %q verified", v.Encoded)
				}
				return
			}
			if ok != v.DjangoAccepts || okWrong != v.DjangoAcceptsWrong {
				t.Fatalf("Verify = %v (right), %v (wrong); Django said %v, %v", ok, okWrong, v.DjangoAccepts, v.DjangoAcceptsWrong)
			}
			if ok && !rehash {
				t.Error("match without needsRehash: the user would keep a non-default hash")
			}
		})
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	h := djangohash.New(testIterations)
	for _, v := range loadDjangoVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			f := h.Inspect(v.Encoded)
			wantAlg, _, _ := strings.Cut(v.Encoded, "$")
			if len(v.Encoded) == 32 && !strings.Contains(v.Encoded, "$") {
				wantAlg = "unsalted_md5"
			}
			if f.Algorithm != wantAlg || f.Unusable || f.Verifiable == isLegacy(v.Encoded) {
				t.Errorf("Inspect = %+v; want algorithm %q, verifiable %v", f, wantAlg, !isLegacy(v.Encoded))
			}
		})
	}
	tests := []struct {
		name, encoded, alg  string
		unusable, checkable bool
	}{
		{"pbkdf2", djangoPBKDF2, "pbkdf2_sha256", false, true},
		{"scrypt", djangoScrypt, "scrypt", false, true},
		{"unusable", "!Q8bXzKp2", "", true, false},
		{"unusable, bare", "!", "", true, false},
		{"empty", "", djangohash.AlgorithmEmpty, false, false},
		{"no dollar", "plaintext-password", djangohash.AlgorithmUnrecognised, false, false},
		{"odd algorithm name", "My Hasher!$x", djangohash.AlgorithmUnrecognised, false, false},
		{"custom hasher", "myproject_sha512$1$a$b", "myproject_sha512", false, false},
		{"unsalted md5 with md5$$", "md5$$5ebe2294ecd0e0f08eab7690d2a6ee69", "unsalted_md5", false, false},
		{"pbkdf2 over the iteration limit", "pbkdf2_sha256$99999999$salt$hash", "pbkdf2_sha256", false, false},
		{"bcrypt over the cost limit", "bcrypt$$2b$17$abcdefghijklmnopqrstuu6ySUy0zWYVXIQ.LN/DOPaf42SgydiW.", "bcrypt", false, false},
		{"argon2 version 18", "argon2$argon2i$v=18$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", "argon2", false, false},
		{"scrypt n not a power of two", "scrypt$1000$salt$8$1$abc", "scrypt", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := h.Inspect(tc.encoded)
			if f.Algorithm != tc.alg || f.Unusable != tc.unusable || f.Verifiable != tc.checkable {
				t.Errorf("Inspect(%.40q) = %+v; want %q unusable=%v verifiable=%v", tc.encoded, f, tc.alg, tc.unusable, tc.checkable)
			}
		})
	}
}
