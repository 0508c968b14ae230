package bootstrap

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/env"
)

// recordingWriter keeps every write it gets, one entry per call.
type recordingWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *recordingWriter) all() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.writes, ""), len(w.writes)
}

// waitFor polls until the writer holds want or the test's patience ends.
func waitFor(t *testing.T, w *recordingWriter, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := w.all()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer holds %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLineBuffer(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, b *lineBuffer, w *recordingWriter)
	}{
		{"lines wait for the interval, then go out in one write", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			_, _ = b.Write([]byte("a\n"))
			_, _ = b.Write([]byte("b\n"))
			if got, n := w.all(); n != 0 {
				t.Fatalf("written before the interval: %q", got)
			}
			waitFor(t, w, "a\nb\n")
			if _, n := w.all(); n != 1 {
				t.Errorf("%d writes, want 1", n)
			}
		}},
		{"the timer is armed again after a flush", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			_, _ = b.Write([]byte("a\n"))
			waitFor(t, w, "a\n")
			_, _ = b.Write([]byte("b\n"))
			waitFor(t, w, "a\nb\n")
		}},
		{"a full batch is written at once", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			line := strings.Repeat("x", 1023) + "\n"
			for range flushAt / len(line) {
				_, _ = b.Write([]byte(line))
			}
			got, n := w.all()
			if n != 1 || len(got) != flushAt {
				t.Errorf("%d writes of %d bytes, want one of %d", n, len(got), flushAt)
			}
		}},
		{"Flush writes what is kept", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			_, _ = b.Write([]byte("a\n"))
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			if got, _ := w.all(); got != "a\n" {
				t.Errorf("got %q", got)
			}
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			if _, n := w.all(); n != 1 {
				t.Errorf("an empty flush wrote: %d writes", n)
			}
		}},
		{"Close writes what is kept and later lines at once", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			_, _ = b.Write([]byte("a\n"))
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			_, _ = b.Write([]byte("b\n"))
			if got, n := w.all(); got != "a\nb\n" || n != 2 {
				t.Errorf("got %q in %d writes", got, n)
			}
		}},
		{"concurrent writers keep every line whole and in its writer's order, across Close", func(t *testing.T, b *lineBuffer, w *recordingWriter) {
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 2000 {
						_, _ = fmt.Fprintf(b, "%d %d %s\n", g, i, strings.Repeat("y", i%97))
					}
				})
			}
			// Closed while they write: a line written straight out must
			// not overtake the batch kept before it.
			time.Sleep(time.Millisecond)
			_ = b.Close()
			wg.Wait()
			got, _ := w.all()
			next := make([]int, 8)
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			for _, l := range lines {
				var g, i int
				var pad string
				if _, err := fmt.Sscanf(l, "%d %d %s", &g, &i, &pad); err != nil && i%97 != 0 {
					t.Fatalf("torn line %q: %v", l, err)
				}
				if i != next[g] || len(pad) != i%97 {
					t.Fatalf("writer %d: line %q, want number %d", g, l, next[g])
				}
				next[g]++
			}
			if len(lines) != 8*2000 {
				t.Errorf("%d lines, want %d", len(lines), 8*2000)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &recordingWriter{}
			b := newLineBuffer(w, 50*time.Millisecond)
			t.Cleanup(func() { _ = b.Close() })
			tt.run(t, b, w)
		})
	}
}

// A logger on a batching writer writes warnings and errors at once, with
// the lines before them; info lines wait.
func TestLoggerFlushesWarnings(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			w := &recordingWriter{}
			b := newLineBuffer(w, time.Hour)
			t.Cleanup(func() { _ = b.Close() })
			log := NewLogger(env.Log{Level: "info", Format: format}, b)
			log.Info("request", "status", 200)
			if got, n := w.all(); n != 0 {
				t.Fatalf("info written at once: %q", got)
			}
			log.With("component", "mail").Warn("slow")
			got, n := w.all()
			if n != 1 || !strings.Contains(got, "request") || !strings.Contains(got, "slow") {
				t.Errorf("after a warning: %q in %d writes, want both lines in one", got, n)
			}
			log.WithGroup("g").Error("failed", "n", 1)
			if got, _ := w.all(); !strings.Contains(got, "failed") {
				t.Errorf("error not written at once: %q", got)
			}
		})
	}
}

// Without a batching writer, every line is written as it is logged.
func TestLoggerWritesThroughByDefault(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(env.Log{Level: "info", Format: "json"}, &buf).Info("request")
	if !strings.Contains(buf.String(), `"msg":"request"`) {
		t.Errorf("got %q", buf.String())
	}
}
