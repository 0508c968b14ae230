// Package i18n holds Onit's message catalogs and picks the language of each
// response. Every human-readable text the API returns (problem titles and
// details, field messages) is a key looked up here, never a Go string literal.
//
// # Catalog files
//
// Catalogs are go-i18n JSON files embedded from locales/, one file per module
// per language, named <module>.<lang>.json (common.en.json, password.fr.json).
// A module adds its messages by adding one file per supported language, for
// example accounts.en.json, accounts.es.json, accounts.fr.json and
// accounts.de.json; no Go code changes. Keys are flat, dotted and start with
// the module's prefix ("accounts.email_taken"). A key may be defined in only
// one file per language: Load refuses duplicates, so two modules cannot
// silently override each other.
//
// A value is either a string or, when the text depends on a number, an object
// with go-i18n's CLDR plural forms ("one", "other"; "other" is required).
// Placeholders are text/template actions on the params map: {{.min}}.
//
// # Plurals
//
// T chooses the plural form from params["count"] when present, otherwise from
// the single integer-valued param (an int type or a string of digits, as
// go-playground/validator hands its params over). A plural message with
// several integer params must therefore pass "count". Without a usable count
// the "other" form is used.
//
// The package's tests fail when a language lacks a key another language has,
// and when any .go file in the repository uses a key literal
// ("tasks.title_required") that the en catalog does not define.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localesFS embed.FS

// localesDir is the folder inside localesFS that holds the catalog files.
const localesDir = "locales"

// Catalog is the loaded, read-only set of translations. It is safe for
// concurrent use: nothing changes after Load returns.
type Catalog struct {
	def       string
	supported []string                   // default first, then sorted
	index     map[string]struct{}        // supported, for O(1) exact matches
	keys      map[string]map[string]bool // lang -> key -> message has plural forms
	sorted    map[string][]string        // lang -> sorted keys, built once for Keys
	localizer map[string]*goi18n.Localizer
}

var (
	fileNameRe = regexp.MustCompile(`^([a-z][a-z0-9_]*)\.([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.json$`)
	keyRe      = regexp.MustCompile(`^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$`)
)

// Load parses every embedded catalog file once and returns the catalog.
// defaultLang is matched like a request language ("en-us" gives "en"); Load
// fails when it matches no catalog, or when a file is malformed, defines a key
// twice, or has a message whose template does not parse.
func Load(defaultLang string) (*Catalog, error) {
	return load(localesFS, localesDir, defaultLang)
}

// load is Load on any file system, so tests can feed it broken catalogs.
func load(fsys fs.FS, dir, defaultLang string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("i18n: read catalogs: %w", err)
	}
	type file struct {
		name string
		lang string
		tag  language.Tag
		msgs []*goi18n.Message
	}
	var files []file
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".json" {
			continue
		}
		m := fileNameRe.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("i18n: catalog file %q is not named <module>.<lang>.json in lowercase", e.Name())
		}
		tag, err := language.Parse(m[2])
		if err != nil {
			return nil, fmt.Errorf("i18n: catalog file %q: language %q: %w", e.Name(), m[2], err)
		}
		buf, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", e.Name(), err)
		}
		msgs, err := goi18n.ParseMessageBytes(buf, json.Unmarshal)
		if err != nil {
			return nil, fmt.Errorf("i18n: parse %s: %w", e.Name(), err)
		}
		files = append(files, file{name: e.Name(), lang: m[2], tag: tag, msgs: msgs})
	}
	if len(files) == 0 {
		return nil, errors.New("i18n: no catalog files")
	}

	c := &Catalog{
		index:     map[string]struct{}{},
		keys:      map[string]map[string]bool{},
		sorted:    map[string][]string{},
		localizer: map[string]*goi18n.Localizer{},
	}
	tags := map[string]language.Tag{}
	for _, f := range files {
		if _, ok := c.index[f.lang]; !ok {
			c.index[f.lang] = struct{}{}
			c.supported = append(c.supported, f.lang)
			c.keys[f.lang] = map[string]bool{}
			tags[f.lang] = f.tag
		}
	}
	def, ok := c.match(defaultLang)
	if !ok {
		slices.Sort(c.supported)
		return nil, fmt.Errorf("i18n: default language %q is not one of %v", defaultLang, c.supported)
	}
	c.def = def
	// The default goes first: callers that offer a list (OpenAPI enums,
	// settings checks) show it first, and it is the natural fallback.
	slices.Sort(c.supported)
	c.supported = slices.DeleteFunc(c.supported, func(l string) bool { return l == def })
	c.supported = slices.Insert(c.supported, 0, def)

	bundle := goi18n.NewBundle(tags[def])
	owner := map[string]string{} // lang/key -> file, to name both files of a duplicate
	for _, f := range files {
		for _, m := range f.msgs {
			if !keyRe.MatchString(m.ID) {
				return nil, fmt.Errorf("i18n: %s: key %q is not lowercase dotted words", f.name, m.ID)
			}
			if m.Other == "" {
				return nil, fmt.Errorf("i18n: %s: key %q has no text (or no \"other\" plural form)", f.name, m.ID)
			}
			if prev, dup := owner[f.lang+"/"+m.ID]; dup {
				return nil, fmt.Errorf("i18n: key %q is defined in both %s and %s", m.ID, prev, f.name)
			}
			owner[f.lang+"/"+m.ID] = f.name
			plural := m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
			c.keys[f.lang][m.ID] = plural
		}
		if err := bundle.AddMessages(f.tag, f.msgs...); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", f.name, err)
		}
	}

	for _, lang := range c.supported {
		// An exact tag makes go-i18n's matcher pick this very catalog.
		c.localizer[lang] = goi18n.NewLocalizer(bundle, lang)
		keys := make([]string, 0, len(c.keys[lang]))
		for k := range c.keys[lang] {
			keys = append(keys, k)
			// Rendering every message once now turns a template syntax error
			// into a start-up failure instead of a broken response, and fills
			// go-i18n's parsed-template cache so T never parses.
			if _, err := c.render(lang, k, nil); err != nil {
				return nil, fmt.Errorf("i18n: %s key %q: %w", lang, k, err)
			}
		}
		slices.Sort(keys)
		c.sorted[lang] = keys
	}
	return c, nil
}

// Supported returns the languages that have at least one catalog file, the
// default first and the others in alphabetical order. The slice is a copy.
func (c *Catalog) Supported() []string { return slices.Clone(c.supported) }

// Default returns the language used when negotiation finds none and when a
// language lacks a key.
func (c *Catalog) Default() string { return c.def }

// Has reports whether lang (matched like a request language) defines key
// itself, without falling back to the default language.
func (c *Catalog) Has(lang, key string) bool {
	l, ok := c.match(lang)
	if !ok {
		return false
	}
	_, ok = c.keys[l][key]
	return ok
}

// Keys returns the sorted keys lang defines, or nil when lang is unsupported.
func (c *Catalog) Keys(lang string) []string {
	l, ok := c.match(lang)
	if !ok {
		return nil
	}
	return slices.Clone(c.sorted[l])
}

// T returns the message for key in lang, filled with params. An unsupported
// lang, or one lacking the key, gets the default language's text; a key no
// catalog has comes back as the key itself, so a missing translation shows
// up in a response (and in the tests) instead of as an empty string. T never
// panics.
func (c *Catalog) T(lang, key string, params map[string]any) string {
	if c == nil {
		return key
	}
	l, ok := c.match(lang)
	if !ok {
		l = c.def
	}
	for _, try := range [...]string{l, c.def} {
		if _, ok := c.keys[try][key]; !ok {
			continue
		}
		// Any text is usable even with an error beside it: go-i18n reports
		// one when a language's CLDR rules ask for a form the catalog lacks
		// (Spanish "many" for a million) after falling back to "other".
		if msg, _ := c.render(try, key, params); msg != "" {
			return msg
		}
	}
	return key
}

// render localizes one key that lang is known to define.
func (c *Catalog) render(lang, key string, params map[string]any) (string, error) {
	cfg := &goi18n.LocalizeConfig{MessageID: key, TemplateData: params}
	if c.keys[lang][key] {
		if n, ok := pluralCount(params); ok {
			cfg.PluralCount = n
		}
	}
	return c.localizer[lang].Localize(cfg)
}

// pluralCount picks the number that chooses a plural form: params["count"]
// when it is an integer, else the one integer-valued param if there is
// exactly one (several would make the choice a guess, so "other" is used).
func pluralCount(params map[string]any) (any, bool) {
	if v, ok := params["count"]; ok {
		return integer(v)
	}
	var found any
	n := 0
	for _, v := range params {
		if iv, ok := integer(v); ok {
			found = iv
			n++
		}
	}
	return found, n == 1
}

// integer converts v to a form go-i18n's plural operands accept: int64 for
// any integer kind that fits, or a string of decimal digits as it is.
func integer(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return nil, false
		}
		return n, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > 1<<63-1 {
			return nil, false
		}
		return int64(u), true
	}
	return nil, false
}
