package web

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// indexName is the app shell. It is served for client-side routes rather
// than under the static prefix, so it is never fingerprinted; its
// references are rewritten to absolute fingerprinted URLs.
const indexName = "index.html"

// maxTotalSize bounds what start-up reads into memory, so a mistyped
// ONIT_STATIC_ROOT (say, "/") fails with a message instead of eating RAM.
const maxTotalSize = 256 << 20

// hashLen is the length of the content hash in a fingerprinted name:
// Django's ManifestStaticFilesStorage uses the first 12 hex digits of MD5.
const hashLen = 12

// ref is one reference from an asset to another, found in its text.
type ref struct {
	start, end int    // byte span of the reference text (without quotes)
	target     string // the referenced asset's name in the manifest
	abs        bool   // written as an absolute URL under the static prefix
}

// source is an asset as read, before fingerprinting.
type source struct {
	name string
	body []byte
	refs []ref
}

// Reference patterns. RE2 has no backreferences, so each quoting style is
// its own alternative and the URL is in whichever group matched.
var (
	// CSS url(...) and @import "...": Django's two CSS patterns.
	cssURL    = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)`)
	cssImport = regexp.MustCompile(`@import\s*(?:"([^"]*)"|'([^']*)')`)
	cssCommnt = regexp.MustCompile(`(?s)/\*.*?\*/`)
	// JS module specifiers that are relative paths: import x from "./a.js",
	// export … from "../b.js", import "./c.js", import("./d.js"). Bare
	// specifiers and URLs are left alone, so only our own files are touched.
	jsImport = regexp.MustCompile(`(?:\bfrom|\bimport)\s*\(?\s*(?:"(\.{1,2}/[^"\n]*)"|'(\.{1,2}/[^'\n]*)')`)
	// src= and href= attributes of the app shell.
	htmlAttr = regexp.MustCompile(`\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	// A URL with a scheme (data:, https:, mailto:) is never one of ours.
	hasScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// findRefs lists the references of one asset to other assets. Which
// patterns apply depends on its type; other files have none.
func findRefs(name string, body []byte, prefix string, exists func(string) bool) ([]ref, error) {
	var patterns []*regexp.Regexp
	var skip [][]int
	switch ext := path.Ext(name); {
	case ext == ".css":
		patterns = []*regexp.Regexp{cssURL, cssImport}
		// Django ignores url() inside comments since 4.2; so do we, so a
		// commented-out rule cannot break start-up.
		skip = cssCommnt.FindAllIndex(body, -1)
	case ext == ".js" || ext == ".mjs":
		patterns = []*regexp.Regexp{jsImport}
	case name == indexName:
		patterns = []*regexp.Regexp{htmlAttr}
	default:
		return nil, nil
	}
	var refs []ref
	for _, re := range patterns {
		for _, m := range re.FindAllSubmatchIndex(body, -1) {
			if inside(m[0], skip) {
				continue
			}
			start, end := -1, -1
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 {
					start, end = m[g], m[g+1]
					break
				}
			}
			if start < 0 || start == end {
				continue
			}
			r, ok, err := resolve(name, string(body[start:end]), prefix, exists)
			if err != nil {
				return nil, err
			}
			if ok {
				r.start, r.end = start, end
				refs = append(refs, r)
			}
		}
	}
	// Patterns were applied one after another; rewriting needs text order.
	sort.Slice(refs, func(i, j int) bool { return refs[i].start < refs[j].start })
	for i := 1; i < len(refs); i++ {
		if refs[i].start < refs[i-1].end {
			return nil, fmt.Errorf("%s: overlapping references at byte %d", name, refs[i].start)
		}
	}
	return refs, nil
}

func inside(pos int, spans [][]int) bool {
	for _, s := range spans {
		if pos >= s[0] && pos < s[1] {
			return true
		}
	}
	return false
}

// resolve turns the text of a reference into a manifest name. ok is false
// for references that are not ours to rewrite (data: URIs, fragments,
// other sites, absolute paths outside the static prefix); a relative or
// static-prefixed reference to a missing file is an error, as in Django's
// strict manifest, so a broken link fails start-up instead of a page.
func resolve(from, text, prefix string, exists func(string) bool) (ref, bool, error) {
	u := text
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	switch {
	case u == "", hasScheme.MatchString(text), strings.HasPrefix(text, "//"), strings.HasPrefix(text, "#"):
		return ref{}, false, nil
	case strings.HasPrefix(u, "/"):
		if !strings.HasPrefix(u, prefix) {
			return ref{}, false, nil
		}
		name := strings.TrimPrefix(u, prefix)
		if !exists(name) {
			return ref{}, false, fmt.Errorf("%s refers to %q, which is not a static file", from, text)
		}
		return ref{target: name, abs: true}, true, nil
	}
	name := path.Join(path.Dir(from), u)
	if !fs.ValidPath(name) || !exists(name) {
		return ref{}, false, fmt.Errorf("%s refers to %q, which is not a static file", from, text)
	}
	// The app shell is served at every client route, so only absolute
	// URLs work from it.
	return ref{target: name, abs: from == indexName}, true, nil
}

// hashedName inserts the content hash before the extension, as Django does:
// css/app.css → css/app.3f2a9c1b7d4e.css.
func hashedName(name string, body []byte) string {
	h := contentHash(body)[:hashLen]
	ext := path.Ext(name)
	if ext == path.Base(name) { // ".htaccess"-like names have no stem
		ext = ""
	}
	return strings.TrimSuffix(name, ext) + "." + h + ext
}

// contentHash is the hex MD5 of body: Django's choice for fingerprints, a
// cache key rather than a security boundary.
func contentHash(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// fingerprint rewrites every asset's references to the fingerprinted names
// of their targets and names each asset after the hash of its final text.
// Targets are done before the files that refer to them (depth first), so
// a change anywhere changes the name of everything that leads to it. A
// reference cycle cannot have stable names and is an error.
func fingerprint(sources map[string]*source, prefix string) (bodies map[string][]byte, hashed map[string]string, err error) {
	bodies = make(map[string][]byte, len(sources))
	hashed = make(map[string]string, len(sources))
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("reference cycle: %s → %s", strings.Join(chain, " → "), name)
		}
		state[name] = visiting
		src := sources[name]
		for _, r := range src.refs {
			if err := visit(r.target, append(chain, name)); err != nil {
				return err
			}
		}
		body := rewrite(src, hashed, prefix)
		bodies[name] = body
		if name != indexName {
			hashed[name] = hashedName(name, body)
		}
		state[name] = done
		return nil
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic error messages
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, nil, err
		}
	}
	return bodies, hashed, nil
}

// rewrite replaces each reference with its target's fingerprinted name,
// keeping the query and fragment, and the "./" of relative references
// (without it a JS module specifier would become a bare one).
func rewrite(src *source, hashed map[string]string, prefix string) []byte {
	if len(src.refs) == 0 {
		return src.body
	}
	var b strings.Builder
	b.Grow(len(src.body) + 16*len(src.refs))
	last := 0
	for _, r := range src.refs {
		b.Write(src.body[last:r.start])
		text := string(src.body[r.start:r.end])
		rest := ""
		if i := strings.IndexAny(text, "?#"); i >= 0 {
			text, rest = text[:i], text[i:]
		}
		target := hashed[r.target]
		if r.abs {
			b.WriteString(prefix + target)
		} else {
			b.WriteString(text[:strings.LastIndex(text, "/")+1] + path.Base(target))
		}
		b.WriteString(rest)
		last = r.end
	}
	b.Write(src.body[last:])
	return []byte(b.String())
}

// errNoAssets is returned for a static root without a single file.
var errNoAssets = errors.New("no static files found")
