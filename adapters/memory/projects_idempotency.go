package memory

import (
	"context"
	"slices"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// IdempotencyRepository is the in-memory twin of the idempotency_keys table.
type IdempotencyRepository struct{ s *ProjectsStore }

var _ ports.IdempotencyRepository = (*IdempotencyRepository)(nil)

// Save stores rec; ErrIdempotencyKeyUsed when the user's key exists.
func (r *IdempotencyRepository) Save(_ context.Context, rec ports.IdempotencyRecord) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := idemID{rec.UserID, rec.Key}
	if _, ok := r.s.d.idem[id]; ok {
		return dp.ErrIdempotencyKeyUsed
	}
	r.s.d.seq++
	rec.ID, rec.Response, rec.TaskID, rec.TaskCreatedAt = r.s.d.seq, slices.Clone(rec.Response), 0, time.Time{}
	r.s.d.idem[id] = rec
	return nil
}

// Claim stores rec without a response and returns its new ID;
// ErrIdempotencyKeyUsed when the user's key exists.
func (r *IdempotencyRepository) Claim(_ context.Context, rec ports.IdempotencyRecord) (int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := idemID{rec.UserID, rec.Key}
	if _, ok := r.s.d.idem[id]; ok {
		return 0, dp.ErrIdempotencyKeyUsed
	}
	r.s.d.seq++
	rec.ID, rec.Response, rec.TaskID, rec.TaskCreatedAt = r.s.d.seq, nil, 0, time.Time{}
	r.s.d.idem[id] = rec
	return rec.ID, nil
}

// TakeOver moves the claim's creation time from was to now if it is still was.
func (r *IdempotencyRepository) TakeOver(_ context.Context, claimID int64, was, now time.Time) (bool, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for id, rec := range r.s.d.idem {
		if rec.ID == claimID && rec.CreatedAt.Equal(was) {
			rec.CreatedAt = now
			r.s.d.idem[id] = rec
			return true, nil
		}
	}
	return false, nil
}

// Release deletes the claim while its creation time is still createdAt.
func (r *IdempotencyRepository) Release(_ context.Context, claimID int64, createdAt time.Time) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for id, rec := range r.s.d.idem {
		if rec.ID == claimID && rec.CreatedAt.Equal(createdAt) {
			delete(r.s.d.idem, id)
		}
	}
	return nil
}

// Get returns the user's record for key, with the task created under it;
// NotFound when absent.
func (r *IdempotencyRepository) Get(_ context.Context, userID int64, key string) (ports.IdempotencyRecord, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	rec, ok := r.s.d.idem[idemID{userID, key}]
	if !ok {
		return ports.IdempotencyRecord{}, domain.ErrNotFound
	}
	rec.Response = slices.Clone(rec.Response)
	if t, ok := r.s.claimedTaskLocked(rec.ID); ok && rec.ID != 0 {
		rec.TaskID, rec.TaskCreatedAt = t.ID, t.CreatedAt
	}
	return rec, nil
}

// DeleteExpired removes the record when created before cutoff.
func (r *IdempotencyRepository) DeleteExpired(_ context.Context, userID int64, key string, cutoff time.Time) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	id := idemID{userID, key}
	if rec, ok := r.s.d.idem[id]; ok && rec.CreatedAt.Before(cutoff) {
		delete(r.s.d.idem, id)
	}
	return nil
}

// Purge removes every record created before cutoff.
func (r *IdempotencyRepository) Purge(_ context.Context, cutoff time.Time) (int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var n int64
	for id, rec := range r.s.d.idem {
		if rec.CreatedAt.Before(cutoff) {
			delete(r.s.d.idem, id)
			n++
		}
	}
	return n, nil
}
