package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &lines{w: &out, now: func() time.Time { return at }}
	l.Phase("users", 1000)
	for range 100 {
		l.Advance(10) // a line per tenth, not per call
	}
	at = at.Add(1500 * time.Millisecond)
	l.Done()
	l.Phase("gone", 0)
	l.Advance(5)
	at = at.Add(lineEvery)
	l.Advance(5) // no total: a line only after lineEvery
	l.Done()
	want := "users: 1000 to go\n" +
		"users: 100/1000 (10%)\nusers: 200/1000 (20%)\nusers: 300/1000 (30%)\nusers: 400/1000 (40%)\nusers: 500/1000 (50%)\n" +
		"users: 600/1000 (60%)\nusers: 700/1000 (70%)\nusers: 800/1000 (80%)\nusers: 900/1000 (90%)\nusers: 1000/1000 (100%)\n" +
		"users: done, 1000 rows in 1.5s\n" +
		"gone: started\ngone: 10\ngone: done, 10 rows in 5s\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestBar(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := New(&out, true)
	p.Phase("users", 100)
	p.Advance(100)
	p.Done()
	p.Phase("sessions", 0)
	p.Advance(3)
	p.Done()
	s := out.String()
	if !strings.Contains(s, "users") || !strings.Contains(s, "100/100") || !strings.Contains(s, "sessions") {
		t.Errorf("bar output %q lacks the phases and counts", s)
	}
}
