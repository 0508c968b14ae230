// Package progress shows a long command's progress to the person running
// it: a bar (schollz/progressbar) when the output is a terminal, and plain
// lines otherwise, few enough for a CI log or a file.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/onitapp/onit/ports"
)

// lineEvery bounds plain output: a line at each tenth of a phase with a
// known total, and otherwise (or when a tenth takes longer) at most one per
// interval.
const lineEvery = 5 * time.Second

// New returns a display writing to w: a bar when terminal, lines
// otherwise.
func New(w io.Writer, terminal bool) ports.ImportProgress {
	if terminal {
		return &bar{w: w}
	}
	return &lines{w: w, now: time.Now}
}

// bar draws one progress bar per phase.
type bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *bar) Phase(name string, total int64) {
	if total <= 0 {
		total = -1 // a spinner: the total is not known
	}
	b.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.w) }),
	)
}

func (b *bar) Advance(n int64) {
	if b.bar != nil {
		_ = b.bar.Add64(n) // drawing errors must not stop an import
	}
}

func (b *bar) Done() {
	if b.bar != nil {
		_ = b.bar.Finish()
		b.bar = nil
	}
}

// lines prints "users: 45000/100000 (45%)" lines.
type lines struct {
	mu          sync.Mutex
	w           io.Writer
	now         func() time.Time
	name        string
	total, done int64
	started     time.Time
	lastAt      time.Time
	lastTenth   int64
}

func (l *lines) Phase(name string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.name, l.total, l.done, l.lastTenth = name, total, 0, 0
	l.started, l.lastAt = l.now(), l.now()
	if total > 0 {
		fmt.Fprintf(l.w, "%s: %d to go\n", name, total)
	} else {
		fmt.Fprintf(l.w, "%s: started\n", name)
	}
}

func (l *lines) Advance(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done += n
	now := l.now()
	tenth := int64(0)
	if l.total > 0 {
		tenth = min(10, l.done*10/l.total)
	}
	if tenth > l.lastTenth || now.Sub(l.lastAt) >= lineEvery {
		l.lastTenth, l.lastAt = tenth, now
		l.print()
	}
}

func (l *lines) print() {
	if l.total > 0 {
		fmt.Fprintf(l.w, "%s: %d/%d (%d%%)\n", l.name, l.done, l.total, l.done*100/l.total)
		return
	}
	fmt.Fprintf(l.w, "%s: %d\n", l.name, l.done)
}

func (l *lines) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s: done, %d rows in %s\n", l.name, l.done, l.now().Sub(l.started).Round(time.Millisecond))
}
