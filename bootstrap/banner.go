package bootstrap

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/onitapp/onit/env"
)

// banner tells whoever started Onit what is running and where. With text
// logs (development) it is a block for a person; with JSON logs it is one
// log record like every other line, so production's stream stays JSON.
func banner(w io.Writer, log *slog.Logger, s env.Settings, addr string, embedded []engine) {
	host := addr
	if h, port, ok := strings.Cut(addr, ":"); ok && (h == "" || h == "::" || h == "0.0.0.0" || h == "[::]") {
		host = "localhost:" + port
	}
	if s.Log.Format == "json" {
		attrs := []any{"env", string(s.Env), "addr", addr, "url", "http://" + host + "/"}
		for _, e := range embedded {
			attrs = append(attrs, "embedded", e.What+" on "+e.Addr)
		}
		log.Info("onit is up", attrs...)
		return
	}
	fmt.Fprintf(w, "\nOnit (%s) is up on http://%s\n", s.Env, host)
	fmt.Fprintf(w, "  web app  http://%s/\n", host)
	fmt.Fprintf(w, "  health   http://%s/healthz   ready http://%s/readyz\n", host, host)
	fmt.Fprintf(w, "  API      http://%s/api/v1     docs  http://%s/api/openapi.json\n", host, host)
	for _, e := range embedded {
		fmt.Fprintf(w, "  embedded %s on %s\n", e.What, e.Addr)
		if e.DSN != "" {
			fmt.Fprintf(w, "           commands reach it with ONIT_MYSQL_DSN='%s'\n", e.DSN)
		}
	}
	if len(embedded) > 0 {
		fmt.Fprintln(w, "  (data lives in memory and is gone when onit stops; set ONIT_MYSQL_DSN / ONIT_REDIS_ADDRS in .env to use real servers)")
	}
	fmt.Fprintln(w)
}
