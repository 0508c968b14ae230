// Package jsonquote writes JSON strings byte for byte as the standard
// library writes them, for the hand-written encoders on Onit's hot paths
// (a task's JSON, a log line): encoding/json and log/slog quote strings
// slightly differently, and each encoder must match the one it replaces.
package jsonquote

import "unicode/utf8"

// EncodingJSON appends s quoted as encoding/json does with its default
// HTML escaping: <, > and & as \u003c, \u003e and \u0026, \b \f \n \r \t
// short, other control characters as \u00XX, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped.
func EncodingJSON(b []byte, s string) []byte { return appendQuoted(b, s, &htmlSafe, true) }

// Slog appends s quoted as log/slog's JSON handler does: as encoding/json
// without HTML escaping and with only \n \r \t short.
func Slog(b []byte, s string) []byte { return appendQuoted(b, s, &plainSafe, false) }

// htmlSafe and plainSafe mark the ASCII bytes written as they are.
var htmlSafe, plainSafe = safeSets()

func safeSets() (html, plain [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return html, plain
}

const hexDigits = "0123456789abcdef"

func appendQuoted(b []byte, s string, safe *[utf8.RuneSelf]bool, shortBF bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && shortBF:
				b = append(b, '\\', 'b')
			case c == '\f' && shortBF:
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
