package i18n

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// longHeader is 600 bytes: "de" with a low q first, then filler items, then
// "fr" (q=1) past byte 500, where Django's cut drops it.
var longHeader = func() string {
	h := "de;q=0.1"
	for len(h)+15+len(", fr") <= 600 {
		h += ", xx-yyyy;q=0.5"
	}
	// Whitespace after a comma is allowed; it pads to exactly 600 bytes.
	return h + "," + strings.Repeat(" ", 600-len(h)-len(",fr")) + "fr"
}()

var acceptTests = []struct {
	name, header string
	want         []string
}{
	{"empty", "", nil},
	{"single", "de", []string{"de"}},
	{"lowercased", "DE-at;Q=0.5", []string{"de-at"}},
	{"browser", "en-US,en;q=0.9", []string{"en-us", "en"}},
	{"sorted by q", "fr;q=0.5, de, es;q=0.8", []string{"de", "es", "fr"}},
	{"stable among equal q", "a;q=0.5,b;q=0.5,c,d;q=0.5", []string{"c", "a", "b", "d"}},
	{"q=1 forms", "a;q=1., b;q=1.000, c;q=0.", []string{"a", "b"}},
	{"three decimals", "a;q=0.001, b;q=0.01", []string{"b", "a"}},
	{"spaces around separators", "en ; q=0.5 ,\tfr", []string{"fr", "en"}},
	{"trailing comma", "en, ", []string{"en"}},
	{"q=0 excluded", "de;q=0, fr", []string{"fr"}},
	{"q=0.000 excluded", "de;q=0.000", nil},
	{"star stops", "de, *, fr", []string{"de"}},
	{"star stops after sorting", "fr;q=0.5, *;q=0.8, de", []string{"de"}},
	{"star first", "*, de", nil},
	{"star with q=0 is dropped, not a stop", "*;q=0, fr", []string{"fr"}},
	{"eight-character subtags", "abcdefgh-12345678-x", []string{"abcdefgh-12345678-x"}},
	{"es-419", "es-419", []string{"es-419"}},
	{"malformed: q above 1", "en;q=2, fr", nil},
	{"malformed: 1.5", "en;q=1.5, fr", nil},
	{"malformed: four decimals", "en;q=0.1234", nil},
	{"malformed: empty q", "en;q=, fr", nil},
	{"malformed: q without 0", "en;q=.5", nil},
	{"malformed: space in q", "en;q = 0.5", nil},
	{"malformed: other parameter", "en;level=1", nil},
	{"malformed: empty item", "en,,fr", nil},
	{"malformed: leading space", " en", nil},
	{"malformed: trailing space", "en ", nil},
	{"malformed: trailing newline", "en\n", nil},
	{"malformed: nine letters", "abcdefghi", nil},
	{"malformed: nine-character subtag", "en-abcdefghi", nil},
	{"malformed: digit in primary", "e1", nil},
	{"malformed: underscore", "en_US", nil},
	{"malformed: empty subtag", "en-", nil},
	{"malformed: junk after valid items", "fr, de, garbage!", nil},
	{"malformed: star with subtag", "*-de", nil},
	{"malformed: non-ASCII", "fr, dé", nil},
	{"latin-1 no-break space is whitespace", "en,\xa0fr", []string{"en", "fr"}},
	{"600 bytes cut at the last comma before 500", longHeader, func() []string {
		// Every filler item before the cut, after "de" which has the lowest q.
		n := strings.Count(longHeader[:strings.LastIndexByte(longHeader[:500], ',')], "xx-yyyy")
		return append(slices.Repeat([]string{"xx-yyyy"}, n), "de")
	}()},
	{"over 500 bytes without a comma", strings.Repeat("a", 501), nil},
	{"malformed only past the cut", "de," + strings.Repeat("x", 600), []string{"de"}},
	{"exactly 500 bytes is not cut", strings.Repeat("a,", 249) + "de", append(slices.Repeat([]string{"a"}, 249), "de")},
}

func TestParseAcceptLanguage(t *testing.T) {
	t.Parallel()
	if len(longHeader) != 600 {
		t.Fatalf("longHeader has %d bytes, want 600", len(longHeader))
	}
	for _, tt := range acceptTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ParseAcceptLanguage(tt.header)
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("ParseAcceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	tests := []struct {
		name, saved, accept, want string
	}{
		{"nothing: default", "", "", "en"},
		{"saved wins over header", "fr", "de", "fr"},
		{"saved is matched too", "DE-ch", "fr", "de"},
		{"unsupported saved ignored", "it", "de", "de"},
		{"header", "", "es", "es"},
		{"de-AT falls back to de", "", "de-AT", "de"},
		{"en-us resolves to en", "", "en-us,de;q=0.5", "en"},
		{"en-GB resolves to en", "", "en-GB, fr", "en"},
		{"es-419 resolves to es", "", "es-419", "es"},
		{"unknown tags skipped", "", "it, pt;q=0.9, fr;q=0.1", "fr"},
		{"q order", "", "de;q=0.5, fr;q=0.9", "fr"},
		{"malformed header ignored as a whole", "", "de;q=2, fr", "en"},
		{"star stops the scan", "", "it, *, de", "en"},
		{"q=0 is not acceptable", "", "de;q=0", "en"},
		{"600-byte header", "", longHeader, "de"},
		{"nothing supported", "xx", "it, pt", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := c.Negotiate(tt.saved, tt.accept); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.saved, tt.accept, got, tt.want)
			}
		})
	}
}

// TestNegotiateRegional covers catalogs named by region, which Onit does not
// ship yet: Django's non-strict rule sends "pt" and "pt-pt" to "pt-br".
func TestNegotiateRegional(t *testing.T) {
	t.Parallel()
	c, err := load(fstest.MapFS{
		"l/x.en.json":    {Data: []byte(`{"x.a": "a"}`)},
		"l/x.pt-br.json": {Data: []byte(`{"x.a": "á"}`)},
	}, "l", "en")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ accept, want string }{
		{"pt-BR", "pt-br"},
		{"pt", "pt-br"},
		{"pt-PT", "pt-br"},
		{"pt-br-x-foo", "pt-br"},
		{"ptx", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			t.Parallel()
			if got := c.Negotiate("", tt.accept); got != tt.want {
				t.Errorf("Negotiate(%q) = %q, want %q", tt.accept, got, tt.want)
			}
		})
	}
	if got := c.T("pt", "x.a", nil); got != "á" {
		t.Errorf(`T("pt") = %q, want the pt-br text`, got)
	}
}

func FuzzParseAcceptLanguage(f *testing.F) {
	for _, tt := range acceptTests {
		f.Add(tt.header)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := ParseAcceptLanguage(h)
		// Each item needs at least one byte and one separator in 500 bytes.
		if len(got) > maxAcceptLanguageLen/2 {
			t.Fatalf("%d tags from %d bytes", len(got), len(h))
		}
		for _, tag := range got {
			if tag == "" || tag == "*" || strings.Trim(tag, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				t.Fatalf("ParseAcceptLanguage(%q) returned tag %q", h, tag)
			}
		}
		// The tags joined back into a header parse to themselves.
		if len(got) > 0 {
			again := ParseAcceptLanguage(strings.Join(got, ","))
			if !slices.Equal(again, got) {
				t.Fatalf("round trip of %q: %q, then %q", h, got, again)
			}
		}
	})
}

func FuzzNegotiate(f *testing.F) {
	c := catalog(f)
	f.Add("", "")
	f.Add("de", "fr")
	f.Add("DE-at", "")
	f.Add("-", "-de")
	for _, tt := range acceptTests {
		f.Add("", tt.header)
	}
	f.Fuzz(func(t *testing.T, saved, accept string) {
		got := c.Negotiate(saved, accept)
		if !slices.Contains(c.Supported(), got) {
			t.Fatalf("Negotiate(%q, %q) = %q, not one of %v", saved, accept, got, c.Supported())
		}
	})
}
