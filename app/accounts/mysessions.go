package accounts

import (
	"context"
	"sync"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// activity coalesces "this session was used" into at most one write per
// session per flush: Authenticate records the minute in memory (no I/O on
// the request path) and FlushSessionActivity writes what accumulated, one
// UPDATE per distinct minute. An instance that dies loses at most one
// interval of last-used times, which are only shown to people.
type activity struct {
	mu      sync.Mutex
	pending map[string]time.Time // token hash → minute last seen
}

func (a *activity) seen(hash string, now time.Time) {
	m := now.UTC().Truncate(time.Minute)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[string]time.Time{}
	}
	if len(a.pending) >= 100_000 {
		return // bounded: a flush is overdue, and these are only hints
	}
	if cur, ok := a.pending[hash]; !ok || cur.Before(m) {
		a.pending[hash] = m
	}
}

func (a *activity) take() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pending
	a.pending = nil
	return p
}

func (a *activity) peek(hash string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.pending[hash]
	return t, ok
}

// FlushSessionActivity writes the last-used minutes recorded since the
// previous flush. Round-trips: one UPDATE per distinct minute (usually
// one or two). Run it every minute and at shutdown.
func (s *Service) FlushSessionActivity(ctx context.Context) error {
	byMinute := map[time.Time][]string{}
	for h, m := range s.activity.take() {
		byMinute[m] = append(byMinute[m], h)
	}
	for m, hashes := range byMinute {
		if err := s.sessions.Touch(ctx, hashes, m); err != nil {
			return err
		}
	}
	return nil
}

// MySessions lists the user's live sessions, newest first; a session used
// since the last flush on this instance shows that use.
// Round-trips: one SELECT.
func (s *Service) MySessions(ctx context.Context, userID int64) ([]accounts.Session, error) {
	list, err := s.sessions.ListForUser(ctx, userID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	for i, sess := range list {
		if m, ok := s.activity.peek(sess.TokenHash); ok && (sess.LastUsedAt == nil || sess.LastUsedAt.Before(m)) {
			list[i].LastUsedAt = &m
		}
	}
	return list, nil
}

// RevokeMySession ends one of the user's sessions by its ID (what the
// sessions page shows) through RevokeSession, the logout path. NotFound
// when the ID is not one of the user's live sessions. It returns the
// revoked session's hash, so the caller can tell it was its own.
// Round-trips: one SELECT, then RevokeSession's.
func (s *Service) RevokeMySession(ctx context.Context, userID, sessionID int64) (string, error) {
	list, err := s.sessions.ListForUser(ctx, userID, s.clock.Now())
	if err != nil {
		return "", err
	}
	for _, sess := range list {
		if sess.ID == sessionID {
			return sess.TokenHash, s.RevokeSession(ctx, userID, sess.TokenHash)
		}
	}
	return "", domain.ErrNotFound
}
