package password

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxCommonListBytes bounds the decompressed size of a common-password list.
// Django's list is about 170 KB; the cap only exists so that a wrong path or a
// gzip bomb fails at start-up instead of exhausting memory.
const MaxCommonListBytes = 64 << 20

// CommonList is a set of common passwords, lowercased and stripped, as
// Django's CommonPasswordValidator holds them. The zero value is an empty list.
type CommonList struct {
	set map[string]struct{}
}

// ParseCommonList reads a list with one password per line, gzip-compressed
// (recognised by its magic bytes, as Django falls back from gzip.open to open)
// or plain UTF-8 text. Lines end in \n, \r\n or \r, as in Python's universal
// newline mode; each is stripped of Unicode whitespace.
//
// Entries are also lowercased. Django keeps them as written, but since it
// compares lower(strip(password)) an entry with a capital letter could never
// match there; lowercasing makes such entries in a custom list work and
// changes nothing for Django's own lists, which are all lowercase.
//
// A blank line in the middle of the file becomes the empty entry, as in
// Django, so such a list rejects an empty or all-whitespace password.
func ParseCommonList(r io.Reader) (*CommonList, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("common password list: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxCommonListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("common password list: %w", err)
	}
	if len(data) > MaxCommonListBytes {
		return nil, fmt.Errorf("common password list: larger than %d bytes", MaxCommonListBytes)
	}
	text := string(data)
	if !utf8.ValidString(text) {
		// Django would fail to decode the file too; better to say so at
		// start-up than to compare passwords against mojibake.
		return nil, errors.New("common password list: not valid UTF-8")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	// Python's line iteration yields no empty line after a final newline.
	text = strings.TrimSuffix(text, "\n")
	l := &CommonList{set: make(map[string]struct{})}
	if text == "" && len(data) == 0 {
		return l, nil
	}
	for line := range strings.SplitSeq(text, "\n") {
		l.set[pyStrip(pyLower(line))] = struct{}{}
	}
	return l, nil
}

// Contains reports whether pw, lowercased and stripped of surrounding Unicode
// whitespace, is in the list. A nil list contains nothing.
func (l *CommonList) Contains(pw string) bool {
	if l == nil || l.set == nil {
		return false
	}
	_, ok := l.set[pyStrip(pyLower(pw))]
	return ok
}

// Len returns the number of distinct entries.
func (l *CommonList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.set)
}
