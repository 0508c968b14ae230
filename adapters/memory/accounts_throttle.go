package memory

import (
	"context"
	"sync"
	"time"

	"github.com/onitapp/onit/ports"
)

// ThrottleLimits are the login throttle's windows; a limit of 0 disables
// that check.
type ThrottleLimits struct {
	AccountLimit  int // failed logins per account per AccountWindow
	AccountWindow time.Duration
	ClientLimit   int // attempts per client address per ClientWindow
	ClientWindow  time.Duration
}

// LoginThrottle is the in-memory twin of the Redis login throttle: fixed
// windows per account (failed attempts) and per client address (all
// attempts), counted from the first event of the window.
type LoginThrottle struct {
	mu      sync.Mutex
	clock   ports.Clock
	cfg     ThrottleLimits
	account map[string]throttleWindow
	client  map[string]throttleWindow
}

type throttleWindow struct {
	start time.Time
	n     int
}

var _ ports.LoginThrottle = (*LoginThrottle)(nil)

// NewLoginThrottle returns a throttle with cfg's limits; a limit of 0
// disables that check.
func NewLoginThrottle(clock ports.Clock, cfg ThrottleLimits) *LoginThrottle {
	return &LoginThrottle{clock: clock, cfg: cfg, account: map[string]throttleWindow{}, client: map[string]throttleWindow{}}
}

// Check counts the attempt against the client address and returns how long
// to wait when either limit is exhausted.
func (t *LoginThrottle) Check(_ context.Context, accountKey, clientAddr string) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	var wait time.Duration
	if t.cfg.ClientLimit > 0 {
		w := currentThrottleWindow(t.client[clientAddr], now, t.cfg.ClientWindow)
		w.n++
		t.client[clientAddr] = w
		if w.n > t.cfg.ClientLimit {
			wait = max(wait, w.start.Add(t.cfg.ClientWindow).Sub(now))
		}
	}
	if t.cfg.AccountLimit > 0 {
		w := currentThrottleWindow(t.account[accountKey], now, t.cfg.AccountWindow)
		if w.n >= t.cfg.AccountLimit {
			wait = max(wait, w.start.Add(t.cfg.AccountWindow).Sub(now))
		}
	}
	return wait, nil
}

// Failed records a failed attempt for the account.
func (t *LoginThrottle) Failed(_ context.Context, accountKey string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := currentThrottleWindow(t.account[accountKey], t.clock.Now(), t.cfg.AccountWindow)
	w.n++
	t.account[accountKey] = w
	return nil
}

// Succeeded clears the account's failures.
func (t *LoginThrottle) Succeeded(_ context.Context, accountKey string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.account, accountKey)
	return nil
}

// currentThrottleWindow returns w, or a fresh window starting now when w has ended.
func currentThrottleWindow(w throttleWindow, now time.Time, length time.Duration) throttleWindow {
	if w.n == 0 || !now.Before(w.start.Add(length)) {
		return throttleWindow{start: now}
	}
	return w
}
