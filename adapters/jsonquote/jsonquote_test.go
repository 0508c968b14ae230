package jsonquote

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// encodingJSONQuote is what encoding/json writes for s.
func encodingJSONQuote(t testing.TB, s string) string {
	t.Helper()
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// slogQuote is what slog's JSON handler writes for s, cut out of its line.
func slogQuote(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	r := slog.NewRecord(slog.Record{}.Time, slog.LevelInfo, "", 0)
	r.AddAttrs(slog.String("k", s))
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(buf.String(), "\n")
	_, v, ok := strings.Cut(line, `,"k":`)
	if !ok {
		t.Fatalf("no attribute in %s", line)
	}
	return strings.TrimSuffix(v, "}")
}

var samples = []string{
	"", "plain", `quote " and backslash \`, "<script>&amp;</script>",
	"\b\f\n\r\t\x00\x01\x1f\x7f", "é 日本 🙂", "\u2028\u2029", "bad \xff\xfe utf-8 \xc3",
	strings.Repeat("x", 300),
}

func TestQuotesAsTheStandardLibrary(t *testing.T) {
	for _, s := range samples {
		if got, want := string(EncodingJSON(nil, s)), encodingJSONQuote(t, s); got != want {
			t.Errorf("EncodingJSON(%q) = %s, want %s", s, got, want)
		}
		if got, want := string(Slog(nil, s)), slogQuote(t, s); got != want {
			t.Errorf("Slog(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(EncodingJSON([]byte("x"), s)), "x"+encodingJSONQuote(t, s); got != want {
			t.Errorf("EncodingJSON(%q) = %s, want %s", s, got, want)
		}
		if got, want := string(Slog(nil, s)), slogQuote(t, s); got != want {
			t.Errorf("Slog(%q) = %s, want %s", s, got, want)
		}
	})
}
