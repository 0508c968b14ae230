package system

import (
	"encoding/base64"
	"testing"
	"time"
)

func TestClockIsUTCMicroseconds(t *testing.T) {
	now := Clock{}.Now()
	if now.Location() != time.UTC || now.Nanosecond()%1000 != 0 {
		t.Errorf("Now() = %v, want UTC at microsecond precision", now)
	}
}

func TestTokenIsRandomAndSized(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, err := Random{}.Token(32)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q decodes to %d bytes (%v), want 32", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}
