package memory

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// SessionRepository is the in-memory twin of the MySQL sessions table.
type SessionRepository struct {
	mu     sync.Mutex
	m      map[string]accounts.Session
	nextID int64
}

var _ ports.SessionRepository = (*SessionRepository)(nil)

// NewSessionRepository returns an empty repository.
func NewSessionRepository() *SessionRepository {
	return &SessionRepository{m: map[string]accounts.Session{}}
}

// Create stores s; Conflict when its hash exists.
func (r *SessionRepository) Create(_ context.Context, s accounts.Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[s.TokenHash]; ok {
		return domain.ErrConflict
	}
	r.nextID++
	s.ID = r.nextID
	r.m[s.TokenHash] = s
	return nil
}

// ByHash returns the session, expired or not; NotFound when absent.
func (r *SessionRepository) ByHash(_ context.Context, hash string) (accounts.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[hash]
	if !ok {
		return accounts.Session{}, domain.ErrNotFound
	}
	return s, nil
}

// Delete removes one session; absent is not an error.
func (r *SessionRepository) Delete(_ context.Context, hash string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, hash)
	return nil
}

// DeleteForUser removes the user's sessions except keepHash and returns the
// removed hashes, sorted.
func (r *SessionRepository) DeleteForUser(_ context.Context, userID int64, keepHash string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []string
	for h, s := range r.m {
		if s.UserID == userID && h != keepHash {
			gone = append(gone, h)
			delete(r.m, h)
		}
	}
	slices.Sort(gone)
	return gone, nil
}

// DeleteExpired removes sessions whose expiry is not after now, the
// instant they stop working (accounts.Session.Expired).
func (r *SessionRepository) DeleteExpired(_ context.Context, now time.Time) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for h, s := range r.m {
		if s.Expired(now) {
			delete(r.m, h)
			n++
		}
	}
	return n, nil
}

// ListForUser returns the user's sessions live at now, newest first.
func (r *SessionRepository) ListForUser(_ context.Context, userID int64, now time.Time) ([]accounts.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []accounts.Session
	for _, s := range r.m {
		if s.UserID == userID && !s.Expired(now) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b accounts.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// Touch moves LastUsedAt forward to at.
func (r *SessionRepository) Touch(_ context.Context, hashes []string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	at = at.UTC()
	for _, h := range hashes {
		s, ok := r.m[h]
		if !ok || (s.LastUsedAt != nil && !s.LastUsedAt.Before(at)) {
			continue
		}
		s.LastUsedAt = &at
		r.m[h] = s
	}
	return nil
}
