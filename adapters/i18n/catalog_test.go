package i18n

import (
	"encoding/json"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/onitapp/onit/domain"
)

// loadT loads the embedded catalog once per test binary: parsing it per test
// would only measure the same thing again.
var loadT = sync.OnceValues(func() (*Catalog, error) { return Load("en") })

func catalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := loadT()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadSupportedAndDefault(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	if got, want := c.Supported(), []string{"en", "de", "es", "fr"}; !slices.Equal(got, want) {
		t.Errorf("Supported() = %v, want %v", got, want)
	}
	if c.Default() != "en" {
		t.Errorf("Default() = %q, want en", c.Default())
	}
	c.Supported()[0] = "xx"
	if c.Supported()[0] != "en" {
		t.Error("Supported() exposes the catalog's own slice")
	}

	tests := []struct {
		name, lang, want string
		wantErr          bool
	}{
		{"exact", "de", "de", false},
		{"django's en-us", "en-us", "en", false},
		{"upper case region", "fr-CA", "fr", false},
		{"unsupported", "it", "", true},
		{"empty", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.lang)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Load(%q) = nil error, want one", tt.lang)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q): %v", tt.lang, err)
			}
			if c.Default() != tt.want || c.Supported()[0] != tt.want {
				t.Errorf("Load(%q): Default() = %q, Supported() = %v; want %q first", tt.lang, c.Default(), c.Supported(), tt.want)
			}
		})
	}
}

// rawCatalog reads the embedded files directly, independently of Load, so
// the completeness checks do not trust the code they check.
func rawCatalog(t *testing.T) map[string]map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]map[string]string{} // lang -> key -> plural form -> text
	files, err := fs.Glob(localesFS, "locales/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalog files: %v", err)
	}
	for _, f := range files {
		m := fileNameRe.FindStringSubmatch(path.Base(f))
		if m == nil {
			t.Fatalf("%s: bad file name", f)
		}
		buf, _ := fs.ReadFile(localesFS, f)
		var raw map[string]any
		if err := json.Unmarshal(buf, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lang := m[2]
		if out[lang] == nil {
			out[lang] = map[string]map[string]string{}
		}
		for k, v := range raw {
			forms := map[string]string{}
			switch v := v.(type) {
			case string:
				forms["other"] = v
			case map[string]any:
				for form, text := range v {
					s, ok := text.(string)
					if !ok {
						t.Errorf("%s: %s.%s is not a string", f, k, form)
					}
					forms[form] = s
				}
			default:
				t.Errorf("%s: %s has type %T", f, k, v)
			}
			out[lang][k] = forms
		}
	}
	return out
}

var placeholderRe = regexp.MustCompile(`\{\{-?\s*\.([A-Za-z0-9_]+)\s*-?\}\}`)

func placeholders(s string) []string {
	var names []string
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// TestCatalogComplete fails when a language lacks a key another language has,
// when a text is empty or untrimmed, when a translation uses other
// placeholders than English, or when English has plural forms and a
// translation does not (its count would be ignored).
func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	raw := rawCatalog(t)
	if got := slices.Sorted(maps.Keys(raw)); !slices.Equal(got, []string{"de", "en", "es", "fr"}) {
		t.Fatalf("catalog languages = %v, want de en es fr", got)
	}
	all := map[string]bool{}
	for _, keys := range raw {
		for k := range keys {
			all[k] = true
		}
	}
	c := catalog(t)
	for lang, keys := range raw {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			for key := range all {
				forms, ok := keys[key]
				if !ok {
					t.Errorf("%s lacks %q", lang, key)
					continue
				}
				en := raw["en"][key]
				if len(en) > 1 && len(forms) < 2 {
					t.Errorf("%s %q has no plural forms, en has %d", lang, key, len(en))
				}
				for form, text := range forms {
					if strings.TrimSpace(text) == "" || strings.TrimSpace(text) != text {
						t.Errorf("%s %q form %s is empty or has outer spaces: %q", lang, key, form, text)
					}
					if got, want := placeholders(text), placeholders(en["other"]); !slices.Equal(got, want) {
						t.Errorf("%s %q form %s uses placeholders %v, en uses %v", lang, key, form, got, want)
					}
				}
				if !c.Has(lang, key) {
					t.Errorf("Has(%s, %q) = false", lang, key)
				}
			}
			if got := c.Keys(lang); len(got) != len(all) || !slices.IsSorted(got) {
				t.Errorf("Keys(%s) has %d keys (sorted %v), want %d", lang, len(got), slices.IsSorted(got), len(all))
			}
		})
	}
}

// TestKindsHaveMessages: the HTTP adapter builds "title."+kind and
// "error."+kind at run time, which the literal scan cannot see.
func TestKindsHaveMessages(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for k := domain.Kind(0); !strings.HasPrefix(k.String(), "kind("); k++ {
		for _, key := range []string{"title." + k.String(), "error." + k.String()} {
			if !c.Has("en", key) {
				t.Errorf("kind %s: en catalog lacks %q", k, key)
			}
		}
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	tests := []struct {
		name, lang, key string
		params          map[string]any
		want            string
	}{
		{"plain", "en", "title.not_found", nil, "Not found"},
		{"translated", "de", "title.not_found", nil, "Nicht gefunden"},
		{"regional tag", "de-AT", "validation.required", nil, "Dieses Feld ist zwingend erforderlich."},
		{"named param", "es", "error.wrong_type", map[string]any{"type": "string"}, "Se esperaba un valor de tipo string."},
		{"plural other", "en", "password.too_short", map[string]any{"min": 8}, "This password is too short. It must contain at least 8 characters."},
		{"plural one", "en", "password.too_short", map[string]any{"min": 1}, "This password is too short. It must contain at least 1 character."},
		{"plural one fr", "fr", "password.too_short", map[string]any{"min": 1}, "Ce mot de passe est trop court. Il doit contenir au minimum 1 caractère."},
		{"french one covers zero", "fr", "validation.min", map[string]any{"param": "0"}, "Assurez-vous que cette valeur comporte au moins 0 caractère."},
		{"plural from validator string param", "es", "validation.max", map[string]any{"param": "1"}, "Asegúrese de que este valor tenga como máximo 1 carácter."},
		{"non-integer params ignored for plural", "en", "validation.min", map[string]any{"param": "3", "field": "title"}, "Ensure this value has at least 3 characters."},
		{"count wins", "en", "error.rate_limited", map[string]any{"seconds": 3, "count": 1}, "Too many attempts. Try again in 3 second."},
		{"named integer type", "en", "error.rate_limited", map[string]any{"seconds": uint8(1)}, "Too many attempts. Try again in 1 second."},
		{"two integers: other", "en", "error.rate_limited", map[string]any{"seconds": 1, "x": 1}, "Too many attempts. Try again in 1 seconds."},
		{"CLDR many falls back to other", "es", "error.rate_limited", map[string]any{"seconds": 1000000}, "Demasiados intentos. Inténtelo de nuevo en 1000000 segundos."},
		{"unsupported language: default", "it", "title.conflict", nil, "Conflict"},
		{"empty language: default", "", "title.conflict", nil, "Conflict"},
		{"unknown key: key", "fr", "tasks.nope", nil, "tasks.nope"},
		{"empty key: key", "fr", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := c.T(tt.lang, tt.key, tt.params); got != tt.want {
				t.Errorf("T(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.params, got, tt.want)
			}
		})
	}
	var nilCatalog *Catalog
	if got := nilCatalog.T("en", "title.conflict", nil); got != "title.conflict" {
		t.Errorf("nil catalog T = %q, want the key", got)
	}
}

// TestFallbackToDefault uses a small catalog in which de lacks a key.
func TestFallbackToDefault(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"l/x.en.json": {Data: []byte(`{"x.only_en": "English {{.n}}", "x.both": "both"}`)},
		"l/x.de.json": {Data: []byte(`{"x.both": "beide"}`)},
	}
	c, err := load(fsys, "l", "en")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ lang, key, want string }{
		{"de", "x.both", "beide"},
		{"de", "x.only_en", "English 3"},
		{"de", "x.missing", "x.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.key, func(t *testing.T) {
			t.Parallel()
			if got := c.T(tt.lang, tt.key, map[string]any{"n": 3}); got != tt.want {
				t.Errorf("T = %q, want %q", got, tt.want)
			}
		})
	}
	if c.Has("de", "x.only_en") {
		t.Error("Has reports a key that only the default language has")
	}
}

func TestLoadRejectsBrokenCatalogs(t *testing.T) {
	t.Parallel()
	ok := []byte(`{"a.b": "x"}`)
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{"no files", fstest.MapFS{"l/readme.txt": {Data: ok}}},
		{"duplicate key across modules", fstest.MapFS{"l/a.en.json": {Data: ok}, "l/b.en.json": {Data: ok}}},
		{"bad template", fstest.MapFS{"l/a.en.json": {Data: []byte(`{"a.b": "{{.x"}`)}}},
		{"plural without other", fstest.MapFS{"l/a.en.json": {Data: []byte(`{"a.b": {"one": "x"}}`)}}},
		{"upper-case key", fstest.MapFS{"l/a.en.json": {Data: []byte(`{"A.b": "x"}`)}}},
		{"bad file name", fstest.MapFS{"l/a.EN.json": {Data: ok}}},
		{"malformed json", fstest.MapFS{"l/a.en.json": {Data: []byte(`{"a.b": `)}}},
		{"default not present", fstest.MapFS{"l/a.de.json": {Data: ok}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := load(tt.files, "l", "en"); err == nil {
				t.Error("load succeeded, want an error")
			}
		})
	}
}

// TestConcurrentT is meant for -race: T must be safe from many requests.
func TestConcurrentT(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	var wg sync.WaitGroup
	for _, lang := range c.Supported() {
		wg.Go(func() {
			for _, k := range c.Keys(lang) {
				if c.T(lang, k, map[string]any{"min": 2, "param": "2", "seconds": 2, "limit": 2, "type": "t"}) == "" {
					t.Errorf("T(%s, %s) is empty", lang, k)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkT(b *testing.B) {
	c := catalog(b)
	params := map[string]any{"min": 8}
	for b.Loop() {
		_ = c.T("fr", "password.too_short", params)
	}
}
