package accounts

import (
	"net/netip"
	"regexp"
	"strings"
)

// MaxUserAgent bounds a stored user-agent summary.
const MaxUserAgent = 200

// TruncateAddr keeps the network of a client address, not the host: the
// /24 of an IPv4 address, the /48 of an IPv6 one (IPv4-mapped IPv6 counts
// as IPv4), written as a prefix ("203.0.113.0/24"). Enough for a person to
// recognise "that was me at home", too little to locate anyone; the full
// address is never stored. Anything else gives "".
func TruncateAddr(addr string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

var (
	browserRes = []struct {
		name string
		re   *regexp.Regexp
	}{
		// Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
		{"Edge", regexp.MustCompile(`Edg(?:e|A|iOS)?/(\d+)`)},
		{"Opera", regexp.MustCompile(`OPR/(\d+)`)},
		{"Firefox", regexp.MustCompile(`(?:Firefox|FxiOS)/(\d+)`)},
		{"Chrome", regexp.MustCompile(`(?:Chrome|CriOS)/(\d+)`)},
		{"Safari", regexp.MustCompile(`Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/`)},
		{"curl", regexp.MustCompile(`^curl/(\d+)`)},
	}
	osRes = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"Android", regexp.MustCompile(`Android`)},
		{"iOS", regexp.MustCompile(`iPhone|iPad|iPod`)},
		{"Windows", regexp.MustCompile(`Windows`)},
		{"macOS", regexp.MustCompile(`Mac OS X|Macintosh`)},
		{"ChromeOS", regexp.MustCompile(`CrOS`)},
		{"Linux", regexp.MustCompile(`Linux|X11`)},
	}
)

// SummarizeUserAgent turns a User-Agent header into what a person
// recognises ("Firefox 133 on Linux"), or the header's first product
// ("okhttp/4.12") when no known browser matches, or "" when empty. The
// summary, not the header, is stored: headers are long and fingerprint.
func SummarizeUserAgent(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	browser := ""
	for _, b := range browserRes {
		if m := b.re.FindStringSubmatch(ua); m != nil {
			browser = b.name + " " + m[1]
			break
		}
	}
	osName := ""
	for _, o := range osRes {
		if o.re.MatchString(ua) {
			osName = o.name
			break
		}
	}
	switch {
	case browser != "" && osName != "":
		return browser + " on " + osName
	case browser != "":
		return browser
	}
	first, _, _ := strings.Cut(ua, " ")
	if osName != "" {
		first += " on " + osName
	}
	r := []rune(strings.ToValidUTF8(first, ""))
	if len(r) > MaxUserAgent {
		r = r[:MaxUserAgent]
	}
	return string(r)
}
