package password

import (
	"reflect"
	"testing"
)

// The expectations below are what CPython 3.11 returns for the same input.

func TestPyIsDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"ascii", "0123456789", true},
		{"superscripts", "¹²³⁰⁴⁵⁶⁷⁸⁹", true},
		{"subscripts", "₀₁₂₃₄₅₆₇₈₉", true},
		{"circled", "⓪①②③④⑤⑥⑦⑧⑨", true},
		{"parenthesized and full stop", "⑴⑼⒈⒐", true},
		{"dingbats", "❶❾➀➈➊➒⓵⓽⓿", true},
		{"ethiopic", "፩፱", true},
		{"new tai lue", "᧚", true},
		{"kharoshthi, rumi, brahmi", "𐩀𐩃𐹠𐹨𑁒𑁚", true},
		{"digit comma", "🄀🄊", true},
		{"fullwidth and devanagari (Nd)", "０９०९", true},
		{"circled ten is numeric, not digit", "⑩", false},
		{"roman numeral", "Ⅻ", false},
		{"fraction", "½", false},
		{"superscript plus", "⁺", false},
		{"CJK numeral", "三", false},
		{"mixed", "123a", false},
		{"space", "123 ", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pyIsDigits(tc.s); got != tc.want {
				t.Errorf("pyIsDigits(%q) = %v, want %v", tc.s, got, tc.want)
			}
		})
	}
}

func TestPyStrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ascii", " \t\n\v\f\rx\r\n", "x"},
		{"information separators", "\x1c\x1d\x1e\x1fx\x1f", "x"},
		{"unicode spaces", "\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x\u3000", "x"},
		{"zero width space kept", "\u200bx\ufeff", "\u200bx\ufeff"},
		{"inner space kept", " a b ", "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pyStrip(tc.in); got != tc.want {
				t.Errorf("pyStrip(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPyLower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "PassWord", "password"},
		{"latin", "ÑANDÚ", "ñandú"},
		{"dotted capital I", "İzmir", "i\u0307zmir"},
		{"final sigma", "ΟΔΥΣΣΕΑΣ", "οδυσσεας"},
		{"lone sigma", "Σ", "σ"},
		{"sigma after a space", "Α Σ", "α σ"},
		{"sigma before a letter", "ΑΣΑ", "ασα"},
		{"sigma then apostrophe", "ΑΣ'", "ας'"},
		{"sigma skips ignorable before", "Α'Σ", "α'ς"},
		{"sigma followed by ignorable then letter", "ΑΣ'Α", "ασ'α"},
		{"titlecase digraph", "ǅ", "ǆ"},
		{"sharp s unchanged", "ß", "ß"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pyLower(tc.in); got != tc.want {
				t.Errorf("pyLower(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitNonWord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"ada@example.com", []string{"ada", "example", "com"}},
		{"ada lovelace", []string{"ada", "lovelace"}},
		{"a--b", []string{"a", "b"}},
		{"-ada-", []string{"", "ada", ""}},
		{"-", []string{"", ""}},
		{"ñandú pérez", []string{"ñandú", "pérez"}},
		{"e\u0301lise", []string{"e", "lise"}},
		{"snake_case", []string{"snake_case"}},
		{"x²y", []string{"x²y"}},
		{"", []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := splitNonWord(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitNonWord(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestQuickRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"abc", "", 0},
		{"abc", "cba", 1},
		{"aab", "abb", 2.0 * 2 / 6},
		{"lovelace1", "lovelace", 2.0 * 8 / 17},
	}
	for _, tc := range tests {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			t.Parallel()
			if got := quickRatio([]rune(tc.a), []rune(tc.b)); got != tc.want {
				t.Errorf("quickRatio(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestExceedsMaxLengthRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		pwLen, partLen int
		maxSim         float64
		want           bool
	}{
		{"ten times longer", 30, 3, 0.7, true},
		{"just under ten times", 29, 3, 0.7, false},
		{"part not under bound", 10, 1, 0.1, false},
		{"empty part", 1, 0, 0.7, true},
		{"both empty", 0, 0, 0.7, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := exceedsMaxLengthRatio(tc.pwLen, tc.maxSim, tc.partLen); got != tc.want {
				t.Errorf("exceedsMaxLengthRatio(%d, %v, %d) = %v, want %v", tc.pwLen, tc.maxSim, tc.partLen, got, tc.want)
			}
		})
	}
}
