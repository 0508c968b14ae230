package accounts

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/ports"
)

// ThrottleLimits are the limits of the throttles in front of every password
// check; a limit or window of 0 switches that counter off.
type ThrottleLimits struct {
	AccountLimit   int // password checks per account per AccountWindow (login, password change)
	AccountWindow  time.Duration
	ClientLimit    int // login attempts per client address per ClientWindow
	ClientWindow   time.Duration
	RegisterLimit  int // sign-ups per client address per RegisterWindow
	RegisterWindow time.Duration
}

// Counter kinds; they name the keys in the throttle's store.
const (
	kindLoginAccount   = "login_account"
	kindLoginClient    = "login_client"
	kindRegisterClient = "register_client"
	kindResetEmail     = "reset_email"
	kindResetClient    = "reset_client"
)

// throttleTimeout bounds one throttle call. Bookkeeping runs on its own
// deadline, detached from the request's cancellation, so a request cut off
// by its deadline or a closed connection is still counted.
const throttleTimeout = time.Second

func (s *Service) accountCounter(emailKey string) ports.ThrottleCounter {
	l := s.cfg.Throttle
	return ports.ThrottleCounter{Kind: kindLoginAccount, ID: emailKey, Limit: l.AccountLimit, Window: l.AccountWindow}
}

func (s *Service) loginClientCounter(addr string) ports.ThrottleCounter {
	l := s.cfg.Throttle
	return ports.ThrottleCounter{Kind: kindLoginClient, ID: addr, Limit: l.ClientLimit, Window: l.ClientWindow}
}

func (s *Service) registerClientCounter(addr string) ports.ThrottleCounter {
	l := s.cfg.Throttle
	return ports.ThrottleCounter{Kind: kindRegisterClient, ID: addr, Limit: l.RegisterLimit, Window: l.RegisterWindow}
}

// attempt counts one attempt on the counters before the password work they
// guard, and refuses with refusal (RetryAfter set) when one is exhausted.
// A throttle that fails is not a reason to let everything through: the
// error (Unavailable) is returned. Production wires a FallbackThrottle,
// which never fails.
func (s *Service) attempt(ctx context.Context, refusal *domain.Error, counters ...ports.ThrottleCounter) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), throttleTimeout)
	defer cancel()
	wait, err := s.throttle.Attempt(ctx, counters...)
	if err != nil {
		return err
	}
	if wait > 0 {
		e := refusal.Wrap(nil)
		e.RetryAfter = wait
		return e
	}
	return nil
}

// forgive resets the counters after a successful password check. A failure
// only leaves attempts counted, so it is logged, not returned.
func (s *Service) forgive(ctx context.Context, counters ...ports.ThrottleCounter) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), throttleTimeout)
	defer cancel()
	if err := s.throttle.Reset(ctx, counters...); err != nil {
		s.log.WarnContext(ctx, "throttle reset failed", "err", err)
	}
}

// FallbackThrottle is the throttle each instance uses: the shared one
// (Redis), and while that fails, an in-process one with the same limits, so
// an outage neither opens the door to unlimited guessing nor locks
// everybody out. The outage and its end are logged once each, not per
// request.
type FallbackThrottle struct {
	primary, fallback ports.Throttle
	log               *slog.Logger
	down              atomic.Bool
}

var _ ports.Throttle = (*FallbackThrottle)(nil)

// NewFallbackThrottle returns primary backed by fallback. A nil log discards.
func NewFallbackThrottle(primary, fallback ports.Throttle, log *slog.Logger) *FallbackThrottle {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FallbackThrottle{primary: primary, fallback: fallback, log: log}
}

// Attempt counts on the primary, or on the fallback while the primary fails.
func (f *FallbackThrottle) Attempt(ctx context.Context, counters ...ports.ThrottleCounter) (time.Duration, error) {
	wait, err := f.primary.Attempt(ctx, counters...)
	if err == nil {
		f.up(ctx)
		return wait, nil
	}
	f.failed(ctx, err)
	return f.fallback.Attempt(ctx, counters...)
}

// Reset forgets the counters in both throttles.
func (f *FallbackThrottle) Reset(ctx context.Context, counters ...ports.ThrottleCounter) error {
	ferr := f.fallback.Reset(ctx, counters...)
	if err := f.primary.Reset(ctx, counters...); err != nil {
		f.failed(ctx, err)
		return ferr
	}
	f.up(ctx)
	return ferr
}

func (f *FallbackThrottle) up(ctx context.Context) {
	if f.down.CompareAndSwap(true, false) {
		f.log.InfoContext(ctx, "throttle store is back; counting there again")
	}
}

func (f *FallbackThrottle) failed(ctx context.Context, err error) {
	if f.down.CompareAndSwap(false, true) {
		f.log.WarnContext(ctx, "throttle store unavailable; this instance counts attempts in memory until it is back", "err", err)
	}
}
