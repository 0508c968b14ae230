package accounts_test

import (
	"strings"
	"testing"

	"github.com/onitapp/onit/domain/accounts"
)

func TestTruncateAddr(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"203.0.113.77", "203.0.113.0/24"},
		{"::ffff:198.51.100.9", "198.51.100.0/24"},
		{"2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"},
		{"fe80::1%eth0", "fe80::/48"},
		{"", ""},
		{"not an address", ""},
		{"203.0.113.77:443", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := accounts.TruncateAddr(tt.in); got != tt.want {
				t.Fatalf("TruncateAddr(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummarizeUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"firefox linux", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Linux"},
		{"chrome windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Windows"},
		{"edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows"},
		{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari 18 on iOS"},
		{"chrome android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android"},
		{"curl", "curl/8.5.0", "curl 8"},
		{"other tool", "okhttp/4.12.0", "okhttp/4.12.0"},
		{"empty", "  ", ""},
		{"huge", strings.Repeat("x", 5000), strings.Repeat("x", accounts.MaxUserAgent)},
		{"invalid utf-8", "\xff\xfe", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := accounts.SummarizeUserAgent(tt.in); got != tt.want {
				t.Fatalf("SummarizeUserAgent = %q, want %q", got, tt.want)
			}
		})
	}
}
