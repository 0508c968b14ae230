package bootstrap

import (
	"io"
	"sync"
	"time"
)

// lineBuffer batches a serving process's log lines into one write(2)
// every interval, or sooner once 64 KiB wait. The access log writes a line
// per request; written one by one, the system calls were a twentieth of a
// request's CPU under load (see the README's performance notes).
//
// What it costs: lines younger than the interval are lost if the process
// is killed (SIGKILL, or a crash the runtime does not recover). Warnings
// and errors do not wait (NewLogger flushes after them, with every line
// before them), and a stopping server flushes before it exits, so what is
// at risk is the last access lines of a process that dies abruptly.
// ONIT_LOG_FLUSH_INTERVAL=0 writes every line at once.
type lineBuffer struct {
	out      io.Writer
	interval time.Duration
	timer    *time.Timer

	mu     sync.Mutex // guards the fields below
	buf    []byte
	spare  []byte // the batch last written, reused as the next buffer
	armed  bool   // the timer will flush what buf holds
	closed bool   // writes go straight out

	// writing orders batches: a flush takes buf and writes it while
	// holding writing, so a later batch cannot overtake it.
	writing sync.Mutex
}

// flushAt is the batch size that is written without waiting for the timer.
const flushAt = 64 << 10

// newLineBuffer returns a buffer writing to out every interval (> 0).
func newLineBuffer(out io.Writer, interval time.Duration) *lineBuffer {
	b := &lineBuffer{out: out, interval: interval}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

// Write keeps p for the next batch. It reports an error only once closed,
// when it writes through.
func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.writing.Lock()
		defer b.writing.Unlock()
		return b.out.Write(p)
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= flushAt
	if !full && !b.armed {
		b.armed = true
		b.timer.Reset(b.interval)
	}
	b.mu.Unlock()
	if full {
		// The writer waits for its batch: a log that cannot keep up slows
		// the requests writing it rather than growing without bound.
		return len(p), b.Flush()
	}
	return len(p), nil
}

// Flush writes every line kept so far.
func (b *lineBuffer) Flush() error {
	b.writing.Lock()
	defer b.writing.Unlock()
	return b.writeKept(false)
}

// Close writes what is kept and makes later writes go straight out, so
// lines logged after the server stopped are not left behind. It holds
// writing throughout, so a line written straight out cannot overtake the
// batch before it.
func (b *lineBuffer) Close() error {
	b.timer.Stop()
	b.writing.Lock()
	defer b.writing.Unlock()
	return b.writeKept(true)
}

// writeKept takes the batch (and closes the buffer if asked) and writes
// it. The caller holds writing.
func (b *lineBuffer) writeKept(close bool) error {
	b.mu.Lock()
	batch := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.armed = false
	b.closed = b.closed || close
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	_, err := b.out.Write(batch)
	if cap(batch) <= 4*flushAt {
		b.mu.Lock()
		b.spare = batch[:0]
		b.mu.Unlock()
	}
	return err
}
