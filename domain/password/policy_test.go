package password_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/password"
)

const (
	adaEmail = "ada@example.com"
	adaName  = "Ada Lovelace"
)

// django51ListPath is the exact list Django 5.1 ships, kept outside the
// repository (its licence travels with Django, not with Onit's tests).
var django51ListPath = filepath.Join("..", "..", "..", "shared", "django51-common-passwords.txt.gz")

// smallList holds the entries the verdict table relies on, so the table runs
// even where the Django 5.1 list is absent.
const smallList = "password\n12345678\nabc\nx\nzzzzzzzzzz\n"

// verdictCase is one Django 5.1 verdict. want lists "code" or, for
// similarity, "too_similar.<attribute>", without the "password_" prefix.
// Every expectation was produced by running Django's validators.
type verdictCase struct {
	name        string
	pw          string
	email, full string
	want        []string
}

var verdictCases = []verdictCase{
	// The cases of django-parity.md.
	{"similar to email", "adaexample", adaEmail, adaName, []string{"too_similar.email"}},
	{"common and numeric", "12345678", adaEmail, adaName, []string{"too_common", "entirely_numeric"}},
	{"short and common", "abc", adaEmail, adaName, []string{"too_short", "too_common"}},
	{"similar to name", "lovelace1", adaEmail, adaName, []string{"too_similar.name"}},
	{"length counts code points", "ñandú12", adaEmail, adaName, []string{"too_short"}},
	{"superscript digits are numeric", "²³⁴⁵⁶⁷⁸⁹", adaEmail, adaName, []string{"entirely_numeric"}},
	{"common after lower and strip", "  PassWord  ", adaEmail, adaName, []string{"too_common"}},
	{"valid", "correct horse battery staple", adaEmail, adaName, nil},

	// Further edges, verdicts also taken from Django.
	{"empty is short, not numeric", "", adaEmail, adaName, []string{"too_short"}},
	{"similarity ignores case", "ADAEXAMPLE", adaEmail, adaName, []string{"too_similar.email"}},
	{"part of name", "lovelace", adaEmail, adaName, []string{"too_similar.name"}},
	{"whole email", "ada@example.com", adaEmail, adaName, []string{"too_similar.email"}},
	{"email before name", "example.com", adaEmail, adaName, []string{"too_similar.email"}},
	{"order of characters ignored", "Lovelace Ada", adaEmail, adaName, []string{"too_similar.name"}},
	{"empty attribute skipped", "lovelace", adaEmail, "", nil},
	{"empty email skipped", "lovelace", "", adaName, []string{"too_similar.name"}},
	{"dissimilar", "grace hopper", adaEmail, adaName, nil},
	{"underscore is a word character", "ada_lovelace", "ada_lovelace@example.com", "Grace", []string{"too_similar.email"}},
	{"python whitespace U+001C U+001F stripped", "\x1cpassword\x1f", adaEmail, adaName, []string{"too_common"}},
	{"ideographic space and nbsp stripped", "\u3000password\u00a0", adaEmail, adaName, []string{"too_common"}},
	{"zero width space is not whitespace", "password\u200b", adaEmail, adaName, nil},
	{"uppercase common", "PASSWORD", adaEmail, adaName, []string{"too_common"}},
	{"trailing space kept for numeric", "12345678 ", adaEmail, adaName, []string{"too_common"}},
	{"circled digits", "①②③④⑤⑥⑦⑧", adaEmail, adaName, []string{"entirely_numeric"}},
	{"arabic-indic digits", "٣٣٣٣٣٣٣٣", adaEmail, adaName, []string{"entirely_numeric"}},
	{"subscript digits", "₁₂₃₄₅₆₇₈", adaEmail, adaName, []string{"entirely_numeric"}},
	{"vulgar fractions are not digits", "½½½½½½½½", adaEmail, adaName, nil},
	{"empty part from leading separator matches empty password", "", adaEmail, "-ada-", []string{"too_similar.name", "too_short"}},
	{"long password skips short parts", "adaxxxxxxxxxxxxxxxxxxxxxxxxxxx", adaEmail, adaName, nil},
	{"combining mark splits the name", "liseliselise", "x@y.z", "e\u0301lise", nil},
	{"greek final sigma", "οδυσσεας", "x@y.z", "ΟΔΥΣΣΕΑΣ", []string{"too_similar.name"}},
	{"greek upper password", "ΟΔΥΣΣΕΑΣ", "x@y.z", "οδυσσεας", []string{"too_similar.name"}},
	{"final sigma lowers to ς", "ασα", "x@y.z", "ΑΣ", []string{"too_short"}},
	{"dotted capital I lowers to two characters", "izmir2024", "x@y.z", "İzmir", nil},
	{"dotted capital I matched by i and combining dot", "i\u0307zmir2024", "x@y.z", "İzmir", []string{"too_similar.name"}},
	{"no attributes", "zzzzzzzzzz", "", "", []string{"too_common"}},
	{"empty attributes never match an empty password", "", "", "", []string{"too_short"}},
}

func djangoPolicy(common *password.CommonList) password.Policy {
	return password.Policy{Similarity: true, MinLength: password.DefaultMinLength, Common: common, Numeric: true}
}

func adaAttrs(email, name string) []password.Attribute {
	return []password.Attribute{{Name: "email", Value: email}, {Name: "name", Value: name}}
}

// summary renders failures the way verdictCase.want spells them, after
// checking the parts of each FieldError the short form leaves out.
func summary(t *testing.T, errs []domain.FieldError) []string {
	t.Helper()
	var out []string
	for _, e := range errs {
		if e.Field != "password" {
			t.Errorf("field = %q, want password", e.Field)
		}
		short := strings.TrimPrefix(e.Code, "password_")
		switch e.Code {
		case password.CodeTooSimilar:
			short = strings.TrimPrefix(e.Key, "password.")
		case password.CodeTooShort:
			if m, ok := e.Params["min"].(int); e.Key != "password.too_short" || !ok || m <= 0 {
				t.Errorf("too short: key %q params %v", e.Key, e.Params)
			}
		default:
			if want := "password." + short; e.Key != want {
				t.Errorf("key = %q, want %q", e.Key, want)
			}
		}
		out = append(out, short)
	}
	return out
}

func parse(t testing.TB, text string) *password.CommonList {
	t.Helper()
	l, err := password.ParseCommonList(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseCommonList: %v", err)
	}
	return l
}

func TestValidateDjangoVerdicts(t *testing.T) {
	t.Parallel()
	p := djangoPolicy(parse(t, smallList))
	for _, tc := range verdictCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summary(t, p.Validate(tc.pw, adaAttrs(tc.email, tc.full)...))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Validate(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

var loadDjango51 = sync.OnceValues(func() (*password.CommonList, error) {
	f, err := os.Open(django51ListPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return password.ParseCommonList(f)
})

func django51List(t *testing.T) *password.CommonList {
	t.Helper()
	l, err := loadDjango51()
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("Django 5.1 list not found at %s (it lives in the shared folder beside the repository, never in it)", django51ListPath)
	}
	if err != nil {
		t.Fatalf("parse %s: %v", django51ListPath, err)
	}
	return l
}

func TestValidateWithDjango51List(t *testing.T) {
	t.Parallel()
	l := django51List(t)
	// Django's list holds 20,000 lines of which 19,729 are distinct after
	// strip(); a different count means the parser splits or trims differently.
	if got := l.Len(); got != 19729 {
		t.Errorf("Len() = %d, want 19729", got)
	}
	p := djangoPolicy(l)
	for _, tc := range verdictCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summary(t, p.Validate(tc.pw, adaAttrs(tc.email, tc.full)...))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Validate(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

func TestDjango51ListMembership(t *testing.T) {
	t.Parallel()
	l := django51List(t)
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"123456", true},
		{"qwerty", true},
		{"  QWERTY\t", true},
		{"correct horse battery staple", false},
		{"", false}, // the list has no blank line
	}
	for _, tc := range tests {
		t.Run(tc.pw, func(t *testing.T) {
			t.Parallel()
			if got := l.Contains(tc.pw); got != tc.want {
				t.Errorf("Contains(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

func TestValidateEnabledValidators(t *testing.T) {
	t.Parallel()
	common := parse(t, "1234\n")
	ada := adaAttrs(adaEmail, adaName)
	digits := []password.Attribute{{Name: "name", Value: "1234"}}
	tests := []struct {
		name   string
		policy password.Policy
		pw     string
		attrs  []password.Attribute
		want   []string
	}{
		{"zero policy accepts anything", password.Policy{}, "1", ada, nil},
		{"only length", password.Policy{MinLength: 8}, "1234567", ada, []string{"too_short"}},
		{"only numeric", password.Policy{Numeric: true}, "1234567", ada, []string{"entirely_numeric"}},
		{"only common", password.Policy{Common: common}, "1234", ada, []string{"too_common"}},
		{"only similarity", password.Policy{Similarity: true}, "lovelace", ada, []string{"too_similar.name"}},
		{"similarity without attributes", password.Policy{Similarity: true}, "lovelace", nil, nil},
		{"attribute name picks the key", password.Policy{Similarity: true}, "1234", digits, []string{"too_similar.name"}},
		{"all four in Django's order", password.Policy{Similarity: true, MinLength: 20, Common: common, Numeric: true}, "1234", digits,
			[]string{"too_similar.name", "too_short", "too_common", "entirely_numeric"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := summary(t, tc.policy.Validate(tc.pw, tc.attrs...))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Validate(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

func TestValidateMinLengthParam(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		min  int
		pw   string
		fail bool
	}{
		{"exactly min", 3, "abc", false},
		{"one under", 3, "ab", true},
		{"multibyte counts once", 3, "ñ€😀", false},
		{"long min", 12, "elevenchars", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := password.Policy{MinLength: tc.min}.Validate(tc.pw)
			if got := len(errs) == 1; got != tc.fail {
				t.Fatalf("Validate(%q) with min %d = %v, want failure %v", tc.pw, tc.min, errs, tc.fail)
			}
			if tc.fail && !reflect.DeepEqual(errs[0].Params, map[string]any{"min": tc.min}) {
				t.Errorf("params = %v, want min %d", errs[0].Params, tc.min)
			}
		})
	}
}

func TestValidateMaxSimilarity(t *testing.T) {
	t.Parallel()
	// Verdicts from Django's UserAttributeSimilarityValidator with the same
	// max_similarity; "" means accepted, otherwise the attribute reported.
	tests := []struct {
		name   string
		maxSim float64
		pw     string
		want   string
	}{
		{"default threshold", 0, "lovelace1", "name"},
		{"default threshold accepts", 0, "xyzw", ""},
		{"0.1", 0.1, "xyzw", "email"},
		{"0.1 lovelace1 hits email first", 0.1, "lovelace1", "email"},
		{"below 0.1 counts as 0.1", 0.01, "xyzw", "email"},
		{"0.3", 0.3, "xyzw", ""},
		{"0.3 adaexample", 0.3, "adaexample", "email"},
		{"1.0 needs identity", 1.0, "ada", "email"},
		{"1.0 near miss", 1.0, "adaexample", ""},
		{"above 1 never fails", 5.0, "ada", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := password.Policy{Similarity: true, MaxSimilarity: tc.maxSim}
			errs := p.Validate(tc.pw, adaAttrs(adaEmail, adaName)...)
			got := ""
			if len(errs) > 0 {
				got = strings.TrimPrefix(errs[0].Key, "password.too_similar.")
			}
			if got != tc.want {
				t.Errorf("Validate(%q) at %v = %q, want %q", tc.pw, tc.maxSim, got, tc.want)
			}
		})
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	common := parse(t, "x\n")
	tests := []struct {
		name   string
		policy password.Policy
		want   []password.Rule
	}{
		{"none", password.Policy{}, nil},
		{"all in Django's order", password.Policy{Numeric: true, Common: common, MinLength: 10, Similarity: true}, []password.Rule{
			{Code: "password_too_similar", Key: "password.help.similarity"},
			{Code: "password_too_short", Key: "password.help.min_length", Params: map[string]any{"min": 10}},
			{Code: "password_too_common", Key: "password.help.common"},
			{Code: "password_entirely_numeric", Key: "password.help.numeric"},
		}},
		{"length only", password.Policy{MinLength: 8}, []password.Rule{
			{Code: "password_too_short", Key: "password.help.min_length", Params: map[string]any{"min": 8}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.policy.Rules(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Rules() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func gzipped(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseCommonList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   []byte
		len     int
		has     []string
		hasNot  []string
		wantErr bool
	}{
		{"plain", []byte("alpha\nbeta\n"), 2, []string{"alpha", "BETA"}, []string{"gamma"}, false},
		{"gzip", gzipped(t, "alpha\nbeta\n"), 2, []string{"alpha", "beta"}, []string{"gamma"}, false},
		{"duplicates after trim and lower count once", []byte("Alpha\n alpha \nALPHA\t\n"), 1, []string{"alpha"}, nil, false},
		{"crlf and cr line ends", []byte("a1\r\nb2\rc3"), 3, []string{"a1", "b2", "c3"}, []string{""}, false},
		{"no final newline", []byte("a1\nb2"), 2, []string{"b2"}, nil, false},
		{"blank line is an entry, as in Django", []byte("a1\n\nb2\n"), 3, []string{"", "   "}, nil, false},
		{"empty input", nil, 0, nil, []string{""}, false},
		{"unicode whitespace trimmed", []byte("\u3000secret\u00a0\n"), 1, []string{"secret"}, nil, false},
		{"invalid utf-8", []byte("ok\n\xff\xfe\n"), 0, nil, nil, true},
		{"corrupt gzip", []byte{0x1f, 0x8b, 0x08, 0x00, 0x01}, 0, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := password.ParseCommonList(bytes.NewReader(tc.input))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if l.Len() != tc.len {
				t.Errorf("Len() = %d, want %d", l.Len(), tc.len)
			}
			for _, pw := range tc.has {
				if !l.Contains(pw) {
					t.Errorf("Contains(%q) = false", pw)
				}
			}
			for _, pw := range tc.hasNot {
				if l.Contains(pw) {
					t.Errorf("Contains(%q) = true", pw)
				}
			}
		})
	}
}

func TestNilCommonList(t *testing.T) {
	t.Parallel()
	var l *password.CommonList
	if l.Contains("password") || l.Len() != 0 {
		t.Error("nil list should be empty")
	}
	var zero password.CommonList
	if zero.Contains("") || zero.Len() != 0 {
		t.Error("zero list should be empty")
	}
}

var knownCodes = map[string]bool{
	password.CodeTooSimilar:      true,
	password.CodeTooShort:        true,
	password.CodeTooCommon:       true,
	password.CodeEntirelyNumeric: true,
}

func FuzzValidate(f *testing.F) {
	for _, tc := range verdictCases {
		f.Add(tc.pw, tc.email, tc.full, 0.7)
	}
	f.Add("\xff\xfe", "\xc3", "Σ\xff", 0.0)
	f.Add("ΣΣΣ", "-", "", -1.0)
	common := parse(f, smallList)
	f.Fuzz(func(t *testing.T, pw, email, name string, maxSim float64) {
		p := password.Policy{Similarity: true, MaxSimilarity: maxSim, MinLength: 8, Common: common, Numeric: true}
		errs := p.Validate(pw, adaAttrs(email, name)...)
		if len(errs) > 4 {
			t.Fatalf("%d failures, at most 4 validators", len(errs))
		}
		seen := map[string]bool{}
		for _, e := range errs {
			if !knownCodes[e.Code] || seen[e.Code] || e.Field != "password" || e.Key == "" {
				t.Fatalf("unexpected failure %+v in %+v", e, errs)
			}
			seen[e.Code] = true
		}
	})
}
