package httpapi

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := parseTrustedProxies([]string{"10.0.0.0/16", " 192.0.2.7 ", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		proxies trustedProxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: the peer, whatever the header says", nil, "127.0.0.1:5000", []string{"203.0.113.9"}, "127.0.0.1"},
		{"private peer not listed: the peer", proxies, "172.16.0.1:5000", []string{"203.0.113.9"}, "172.16.0.1"},
		{"trusted peer: the right-most untrusted", proxies, "10.0.1.2:5000", []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted hops is skipped", proxies, "10.0.1.2:5000", []string{"203.0.113.9, 192.0.2.7, 10.0.9.9"}, "203.0.113.9"},
		{"spoofed left part is ignored", proxies, "10.0.1.2:5000", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"trusted peer without a header: the peer", proxies, "10.0.1.2:5000", nil, "10.0.1.2"},
		{"only trusted hops: the furthest", proxies, "10.0.1.2:5000", []string{"10.0.3.3"}, "10.0.3.3"},
		{"garbage stops at the last trusted hop", proxies, "10.0.1.2:5000", []string{"nonsense, 10.0.3.3"}, "10.0.3.3"},
		{"an entry with a port", proxies, "10.0.1.2:5000", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 peer and client", proxies, "[2001:db8::1]:5000", []string{"2001:db9::5"}, "2001:db9::5"},
		{"IPv4-mapped peer is the IPv4 address", proxies, "[::ffff:10.0.1.2]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.proxies.clientIP(tt.remote, tt.xff); got != tt.want {
				t.Errorf("clientIP(%q, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxiesRefusesNonsense(t *testing.T) {
	t.Parallel()
	if _, err := parseTrustedProxies([]string{"10.0.0.0/16", "lb.internal"}); err == nil || !strings.Contains(err.Error(), "lb.internal") {
		t.Fatalf("err = %v, want one naming the bad entry", err)
	}
}

// FuzzClientIP: no input crashes the parser; an untrusted peer is always
// the answer; with a trusted peer the answer is the peer or an address the
// header carried, and never one left of an untrusted entry.
func FuzzClientIP(f *testing.F) {
	proxies, err := parseTrustedProxies([]string{"10.0.0.0/8", "::1/128"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("10.0.0.1:80", "203.0.113.9, 10.1.1.1")
	f.Add("192.0.2.1:80", "10.0.0.1")
	f.Add("[::1]:80", "1.2.3.4:5, [::2]:6, zz")
	f.Add("nonsense", ",,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := proxies.clientIP(remote, []string{xff})
		p, ok := peer(remote)
		if !ok {
			return
		}
		if !proxies.contains(p) {
			if got != p.String() {
				t.Fatalf("untrusted peer %q: client %q", remote, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("client %q is not an address", got)
		}
		if a != p && !strings.Contains(xff, strings.TrimPrefix(a.String(), "::ffff:")) && !strings.Contains(strings.ToLower(xff), a.String()) {
			// The address may be written differently (IPv6 forms, mapped
			// IPv4): it must at least parse from one entry.
			found := false
			for _, e := range strings.Split(xff, ",") {
				if b, ok := forwardedAddr(e); ok && b == a {
					found = true
				}
			}
			if !found {
				t.Fatalf("client %q is neither the peer nor in %q", got, xff)
			}
		}
	})
}
