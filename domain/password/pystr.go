package password

import (
	"strings"
	"unicode"
)

// This file reproduces the few Python str operations Django's validators rely
// on. Go's nearest equivalents disagree at the edges (strings.ToLower uses
// simple case mappings, unicode.IsSpace misses U+001C–U+001F, unicode.IsDigit
// misses superscripts), and each disagreement would flip a verdict that
// Django users have seen, so the Python semantics are spelled out here.

// pyLower is Python's str.lower: Go's simple per-rune mapping plus the two
// places where Python applies the full Unicode mapping instead. U+0130 lowers
// to two code points, which changes len() and therefore the similarity ratio.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(rs, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma implements the Final_Sigma condition exactly as CPython's
// handle_capital_sigma does: a cased letter before (skipping case-ignorable
// characters) and no cased letter after.
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && caseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !cased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && caseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !cased(rs[j])
}

// cased is the Unicode derived property Cased.
func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is the Unicode derived property Case_Ignorable. Go has no
// Word_Break tables, so the MidLetter, MidNumLet and Single_Quote characters
// are listed by hand.
func caseIgnorable(r rune) bool {
	switch r {
	case '\u0027', '\u002E', '\u003A', '\u00B7', '\u0387', '\u055F', '\u05F4',
		'\u2018', '\u2019', '\u2024', '\u2027', '\uFE13', '\uFE52', '\uFE55',
		'\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// pyIsSpace is Python's str.isspace for one character: Unicode White_Space
// plus the ASCII information separators U+001C–U+001F, which Python treats as
// line separators.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1C && r <= 0x1F)
}

// pyStrip is Python's argument-less str.strip.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyIsSpace)
}

// pyIsWord reports whether r matches Python's Unicode \w: str.isalnum() or
// the underscore. isalnum is isalpha (categories Lu, Ll, Lt, Lm, Lo) or
// isnumeric, and every character with a numeric type is either a letter or in
// category N, so letters and numbers cover it exactly. Combining marks are
// not word characters in Python, so a decomposed "é" splits there.
func pyIsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// pyIsDigit is Python's str.isdigit for one character: Numeric_Type Decimal
// (category Nd, Go's unicode.IsDigit) or Digit. Go has no Numeric_Type
// table, so the Digit-but-not-Decimal characters are listed here; the list
// was generated from Python's unicodedata (Unicode 14, unchanged in 15) as
// every c with c.isdigit() and not c.isdecimal().
func pyIsDigit(r rune) bool {
	return unicode.IsDigit(r) || unicode.Is(pyDigitNotDecimal, r)
}

var pyDigitNotDecimal = &unicode.RangeTable{
	LatinOffset: 2,
	R16: []unicode.Range16{
		{Lo: 0x00B2, Hi: 0x00B3, Stride: 1}, // superscript two, three
		{Lo: 0x00B9, Hi: 0x00B9, Stride: 1}, // superscript one
		{Lo: 0x1369, Hi: 0x1371, Stride: 1}, // Ethiopic digits
		{Lo: 0x19DA, Hi: 0x19DA, Stride: 1}, // New Tai Lue Tham digit one
		{Lo: 0x2070, Hi: 0x2070, Stride: 1}, // superscript zero
		{Lo: 0x2074, Hi: 0x2079, Stride: 1}, // superscript four to nine
		{Lo: 0x2080, Hi: 0x2089, Stride: 1}, // subscript digits
		{Lo: 0x2460, Hi: 0x2468, Stride: 1}, // circled digits
		{Lo: 0x2474, Hi: 0x247C, Stride: 1}, // parenthesized digits
		{Lo: 0x2488, Hi: 0x2490, Stride: 1}, // digit full stops
		{Lo: 0x24EA, Hi: 0x24EA, Stride: 1}, // circled digit zero
		{Lo: 0x24F5, Hi: 0x24FD, Stride: 1}, // double circled digits
		{Lo: 0x24FF, Hi: 0x24FF, Stride: 1}, // negative circled digit zero
		{Lo: 0x2776, Hi: 0x277E, Stride: 1}, // dingbat negative circled digits
		{Lo: 0x2780, Hi: 0x2788, Stride: 1}, // dingbat circled sans-serif digits
		{Lo: 0x278A, Hi: 0x2792, Stride: 1}, // dingbat negative circled sans-serif digits
	},
	R32: []unicode.Range32{
		{Lo: 0x10A40, Hi: 0x10A43, Stride: 1}, // Kharoshthi digits
		{Lo: 0x10E60, Hi: 0x10E68, Stride: 1}, // Rumi digits
		{Lo: 0x11052, Hi: 0x1105A, Stride: 1}, // Brahmi numbers one to nine
		{Lo: 0x1F100, Hi: 0x1F10A, Stride: 1}, // digit full stop / comma
	},
}

// pyIsDigits is Python's str.isdigit for a whole string: false when empty.
func pyIsDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !pyIsDigit(r) {
			return false
		}
	}
	return true
}
