package apidocs

import (
	"bytes"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"identity", false},
		{"gzip", true},
		{"br, gzip, deflate", true},
		{"GZIP", true},
		{"*", true},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"gzip;q=0.5", true},
		{"deflate, br", false},
	} {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// The embedded files are the vendored release: the bundle defines Redoc,
// the licence names the version VERSION says, and nothing names a CDN.
func TestVendoredBundle(t *testing.T) {
	if len(redocJS) < 500_000 || !contains(redocJS, "Redoc") {
		t.Fatalf("redoc.standalone.js is %d bytes and does not look like Redoc's bundle", len(redocJS))
	}
	if !contains(licence, "redoc@"+Version()+" (sha512-") {
		t.Errorf("LICENSE-redoc.txt does not name redoc@%s and its integrity", Version())
	}
	for _, host := range []string{"cdn.redoc.ly", "fonts.googleapis", "collectorUrl"} {
		if contains(redocJS, host) {
			t.Errorf("the bundle names %s: the page would reach for another host", host)
		}
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
