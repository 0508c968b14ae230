package i18n

import (
	"slices"
	"strings"
)

// maxAcceptLanguageLen is Django's LANGUAGE_CODE_MAX_LENGTH: longer headers
// are cut before parsing so a huge header costs nothing.
const maxAcceptLanguageLen = 500

// Negotiate picks the language of a response: the user's saved language when
// the catalog supports it, else the first supported entry of the
// Accept-Language header, else the default. Each candidate is matched the way
// Django's get_supported_language_variant does it: exactly, then with
// trailing subtags dropped ("de-at" gives "de"), then to a regional catalog of
// the same language ("pt" gives "pt-br" if only that exists). The result is
// always one of Supported.
func (c *Catalog) Negotiate(saved, acceptLanguage string) string {
	if l, ok := c.match(saved); ok {
		return l
	}
	for _, tag := range ParseAcceptLanguage(acceptLanguage) {
		if l, ok := c.match(tag); ok {
			return l
		}
	}
	return c.def
}

// match resolves a language tag to a supported catalog language.
func (c *Catalog) match(tag string) (string, bool) {
	if _, ok := c.index[tag]; ok { // the common case, with no allocation
		return tag, true
	}
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" || len(tag) > maxAcceptLanguageLen {
		return "", false
	}
	for t := tag; ; {
		if _, ok := c.index[t]; ok {
			return t, true
		}
		i := strings.LastIndexByte(t, '-')
		if i <= 0 {
			break
		}
		t = t[:i]
	}
	base, _, _ := strings.Cut(tag, "-")
	for _, l := range c.supported {
		if strings.HasPrefix(l, base+"-") {
			return l, true
		}
	}
	return "", false
}

// ParseAcceptLanguage returns the language ranges of an Accept-Language
// header, lowercased, most preferred first. It follows Django 5.1's
// parse_accept_lang_header, reading the header as Latin-1 bytes as WSGI does:
//
//   - a header over 500 bytes is cut at its last comma before byte 500, and
//     ignored when there is no such comma (a lone, truncated range);
//   - the whole header must be a list of `range[;q=value]` items, where a
//     range is `[a-z]{1,8}(-[a-z0-9]{1,8})*` or `*`, and q is 0–1 with at most
//     three decimals; anything else makes the header malformed, and a
//     malformed header is ignored as a whole (nil);
//   - items are sorted by q, highest first, keeping header order among equals.
//
// Two rules differ from Django on purpose: items with q=0 are dropped, since
// RFC 9110 says they name unacceptable languages (Django would still use
// them last), and the list ends before the first "*", because a wildcard
// means "anything", so the caller's default applies from there on.
func ParseAcceptLanguage(h string) []string {
	if len(h) > maxAcceptLanguageLen {
		i := strings.LastIndexByte(h[:maxAcceptLanguageLen], ',')
		if i <= 0 {
			return nil
		}
		h = h[:i]
	}
	type item struct {
		tag string
		q   int // thousandths, so comparisons are exact
	}
	var items []item
	for p := 0; p < len(h); {
		tag, q, next, ok := scanItem(h, p)
		if !ok {
			return nil
		}
		if q > 0 {
			items = append(items, item{tag, q})
		}
		p = next
	}
	slices.SortStableFunc(items, func(a, b item) int { return b.q - a.q })
	var tags []string
	for _, it := range items {
		if it.tag == "*" {
			break
		}
		tags = append(tags, it.tag)
	}
	return tags
}

// scanItem reads one `range [;q=value] (separator | end)` starting at p and
// returns the lowercased range, q in thousandths and where the next item
// starts. Django's regular expression backtracks, but every alternative it
// could try after a greedy read fails at the same byte, so a single greedy
// pass gives the same verdict.
func scanItem(h string, p int) (tag string, q, next int, ok bool) {
	start := p
	if p < len(h) && h[p] == '*' {
		p++
	} else {
		n := run(h, p, isLetter)
		if n < 1 || n > 8 {
			return "", 0, 0, false
		}
		p += n
		for p < len(h) && h[p] == '-' {
			n := run(h, p+1, isAlnum)
			if n < 1 || n > 8 {
				return "", 0, 0, false
			}
			p += 1 + n
		}
	}
	tag = strings.ToLower(h[start:p])

	q = 1000
	if j := skipSpace(h, p); j < len(h) && h[j] == ';' {
		j = skipSpace(h, j+1)
		if j+1 >= len(h) || lower(h[j]) != 'q' || h[j+1] != '=' {
			return "", 0, 0, false
		}
		var ok bool
		if q, p, ok = scanQ(h, j+2); !ok {
			return "", 0, 0, false
		}
	}

	// The separator is `\s*,\s*`, or the end of the header.
	j := skipSpace(h, p)
	if j == len(h) && j == p {
		return tag, q, j, true
	}
	if j < len(h) && h[j] == ',' {
		return tag, q, skipSpace(h, j+1), true
	}
	return "", 0, 0, false
}

// scanQ reads `0(\.[0-9]{0,3})?` or `1(\.0{0,3})?` at p and returns the value
// in thousandths and the byte after it.
func scanQ(h string, p int) (q, next int, ok bool) {
	if p >= len(h) || (h[p] != '0' && h[p] != '1') {
		return 0, 0, false
	}
	one := h[p] == '1'
	p++
	if p < len(h) && h[p] == '.' {
		p++
		for scale, n := 100, 0; n < 3 && p < len(h) && isDigit(h[p]); n++ {
			if one && h[p] != '0' {
				break // "1.5" stops after "1."; the caller then rejects the "5"
			}
			q += int(h[p]-'0') * scale
			scale /= 10
			p++
		}
	}
	if one {
		q = 1000
	}
	return q, p, true
}

// run counts the bytes from p on that satisfy f.
func run(h string, p int, f func(byte) bool) int {
	n := 0
	for p+n < len(h) && f(h[p+n]) {
		n++
	}
	return n
}

// skipSpace returns the first byte at or after p that is not whitespace.
func skipSpace(h string, p int) int {
	return p + run(h, p, isSpace)
}

// isSpace is Python's \s on a Latin-1 decoded header: ASCII whitespace, the
// information separators 0x1C–0x1F, NEL (0x85) and no-break space (0xA0).
func isSpace(b byte) bool {
	switch {
	case b >= '\t' && b <= '\r', b >= 0x1c && b <= ' ', b == 0x85, b == 0xa0:
		return true
	}
	return false
}

func isLetter(b byte) bool { b = lower(b); return b >= 'a' && b <= 'z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isAlnum(b byte) bool  { return isLetter(b) || isDigit(b) }

// lower folds ASCII letters only: Django lowercases the whole header, but a
// non-ASCII letter could never match the grammar either way.
func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
