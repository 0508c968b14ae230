package httpapi

import "log/slog"

// levelFor logs server errors at error, client errors at info: a 404 storm
// must not page anyone.
func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}
