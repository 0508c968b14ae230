package bootstrap

import (
	"io"
	"log/slog"
	"strings"

	"github.com/onitapp/onit/env"
)

// NewLogger builds the process logger: JSON in production (for CloudWatch
// and log queries), readable text in development, level from settings.
func NewLogger(cfg env.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
