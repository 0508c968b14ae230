package checks

import (
	"context"
	"fmt"
	"strings"
)

// checkEmail judges outgoing mail, the public URL of emailed links and the
// CORS origins (W070–W073).
func checkEmail(_ context.Context, in Input) []Finding {
	e := in.Config.Email
	var out []Finding
	if e.Host == "" && in.Config.Env != EnvDevelopment {
		out = append(out, newFinding("onit.W070", "ONIT_EMAIL_HOST is not set: password-reset emails are written to the log, not sent.",
			"Set ONIT_EMAIL_HOST, ONIT_EMAIL_PORT, ONIT_EMAIL_USERNAME, ONIT_EMAIL_PASSWORD and ONIT_EMAIL_FROM (e.g. Amazon SES's SMTP endpoint)."))
	}
	switch {
	case e.PublicURL == "":
		out = append(out, newFinding("onit.W071", "ONIT_PUBLIC_URL is not set: reset links are built from the first allowed host.",
			"Set ONIT_PUBLIC_URL to the address users reach Onit at, e.g. https://onit.example.com."))
	case !strings.HasPrefix(e.PublicURL, "https://"):
		out = append(out, newFinding("onit.W071", fmt.Sprintf("ONIT_PUBLIC_URL (%q) is not https: reset tokens would travel in clear.", e.PublicURL),
			"Use the https:// address."))
	}
	var bad []string
	for _, o := range e.CORSAllowedOrigins {
		if o == "*" || !strings.HasPrefix(o, "https://") {
			bad = append(bad, o)
		}
	}
	if len(bad) > 0 {
		out = append(out, newFinding("onit.W072", fmt.Sprintf("ONIT_CORS_ALLOWED_ORIGINS holds %s: credentialed requests need exact https origins (\"*\" is ignored).", strings.Join(bad, ", ")),
			"List each frontend's exact origin, e.g. https://app.example.com."))
	}
	if e.Host != "" && e.Username != "" && e.TLS == "none" {
		out = append(out, newFinding("onit.W073", "ONIT_EMAIL_TLS is none with ONIT_EMAIL_USERNAME set: the SMTP password travels in clear.",
			"Use ONIT_EMAIL_TLS=starttls (port 587) or tls (port 465)."))
	}
	return out
}
