package passwordlist_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/passwordlist"
)

func TestDefault(t *testing.T) {
	t.Parallel()
	l, err := passwordlist.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	// Debian's Django 3.2 copy has 19,727 lines, all distinct; a count far
	// from that means the wrong file was embedded or parsing broke.
	if n := l.Len(); n < 19000 || n > 20000 {
		t.Errorf("Len() = %d, want about 20,000", n)
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"123456", true},
		{" Qwerty ", true},
		{"correct horse battery staple", false},
	}
	for _, tc := range tests {
		t.Run(tc.pw, func(t *testing.T) {
			t.Parallel()
			if got := l.Contains(tc.pw); got != tc.want {
				t.Errorf("Contains(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
	again, err := passwordlist.Default()
	if err != nil || again != l {
		t.Errorf("second Default() = %p, %v; want the same list %p", again, err, l)
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipped(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoad(t *testing.T) {
	t.Parallel()
	const text = "Hunter2\ntrustno1\n"
	tests := []struct {
		name string
		path func(t *testing.T) string
		len  int
	}{
		{"plain file", func(t *testing.T) string { return writeFile(t, "list.txt", []byte(text)) }, 2},
		{"gzip file", func(t *testing.T) string { return writeFile(t, "list.txt.gz", gzipped(t, text)) }, 2},
		{"gzip without .gz suffix", func(t *testing.T) string { return writeFile(t, "list", gzipped(t, text)) }, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := passwordlist.Load(tc.path(t))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if l.Len() != tc.len || !l.Contains("hunter2") || !l.Contains("TRUSTNO1") || l.Contains("password") {
				t.Errorf("loaded list has %d entries, hunter2 %v, trustno1 %v, password %v",
					l.Len(), l.Contains("hunter2"), l.Contains("TRUSTNO1"), l.Contains("password"))
			}
		})
	}
}

func TestLoadEmptyPathIsDefault(t *testing.T) {
	t.Parallel()
	l, err := passwordlist.Load("")
	if err != nil {
		t.Fatalf("Load(\"\"): %v", err)
	}
	d, err := passwordlist.Default()
	if err != nil {
		t.Fatal(err)
	}
	if l != d {
		t.Error("Load(\"\") did not return the embedded list")
	}
}

func TestLoadErrorsNameThePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent.txt.gz") }},
		{"directory", func(t *testing.T) string { return t.TempDir() }},
		{"corrupt gzip", func(t *testing.T) string { return writeFile(t, "bad.gz", []byte{0x1f, 0x8b, 0, 1, 2}) }},
		{"not utf-8", func(t *testing.T) string { return writeFile(t, "latin1.txt", []byte("caf\xe9\n")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.path(t)
			_, err := passwordlist.Load(path)
			if err == nil {
				t.Fatalf("Load(%q) succeeded", path)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %q", err, path)
			}
		})
	}
}
