package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// trustedProxies is ONIT_TRUSTED_PROXIES parsed: the peers whose forwarded
// headers (X-Forwarded-For and the scheme header) are believed. Nobody
// else's are: the client address feeds the throttles, so a client that
// could choose it could rotate past them.
type trustedProxies []netip.Prefix

// parseTrustedProxies reads CIDR ranges; a bare address means itself.
func parseTrustedProxies(list []string) (trustedProxies, error) {
	var out trustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("ONIT_TRUSTED_PROXIES: %q is neither a CIDR range nor an address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peer is the address of the connection's other end.
func peer(remoteAddr string) (netip.Addr, bool) {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// trusts reports whether the request came straight from a trusted proxy.
func (t trustedProxies) trusts(r *http.Request) bool {
	if len(t) == 0 {
		return false
	}
	a, ok := peer(r.RemoteAddr)
	return ok && t.contains(a)
}

// clientIP is the client's address: the peer's, unless the peer is a
// trusted proxy; then X-Forwarded-For is read from the right (each proxy
// appends the address it saw) and the first address not in the trusted
// ranges is the client. Everything to its left was written by the client
// and is ignored. An entry that is not an address stops the walk at the
// last trusted hop, which is then taken as the client.
func (t trustedProxies) clientIP(remoteAddr string, xff []string) string {
	p, ok := peer(remoteAddr)
	if !ok {
		host, _, err := net.SplitHostPort(remoteAddr)
		if err != nil {
			return remoteAddr
		}
		return host
	}
	if !t.contains(p) {
		return p.String()
	}
	client := p
	for i := len(xff) - 1; i >= 0; i-- {
		entries := strings.Split(xff[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := forwardedAddr(entries[j])
			if !ok {
				return client.String()
			}
			client = a
			if !t.contains(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

// forwardedAddr parses one X-Forwarded-For entry: an address, possibly
// with a port (some proxies add one).
func forwardedAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ipExtractor is echo's IPExtractor over the trusted proxies.
func (t trustedProxies) ipExtractor(r *http.Request) string {
	if len(t) == 0 {
		a, ok := peer(r.RemoteAddr)
		if !ok {
			return r.RemoteAddr
		}
		return a.String()
	}
	return t.clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
}
