package projects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// createKeyedTask is CreateTask with an Idempotency-Key: two autocommit
// statements, no transaction.
//
//  1. Claim the key: an idempotency record without a response. A
//     duplicate means another request with the key holds or held it.
//  2. Create the task with the INSERT … SELECT that checks the membership
//     (the write still authorises against MySQL in its own statement),
//     carrying the claim's ID in a unique column: the task and its record
//     are linked by that statement alone, and at most one task ever exists
//     per claim.
//
// A request that finds the key claimed reads the claim joined with its
// task (Get) and answers by what it finds:
//
//   - a task: the first response again, rebuilt from this request's draft
//     (the fingerprint says it is the same) and the task's ID and creation
//     time; a record with a stored response (written by the transactional
//     create of earlier releases) replays that response;
//   - a different fingerprint: ErrIdempotencyMismatch, as before;
//   - no task and a claim younger than the claim timeout: the first request
//     may still be creating it, so ErrIdempotencyInProgress (409 with
//     Retry-After) tells the client to come back;
//   - no task and an older claim: the request that claimed it can no longer
//     write (its deadline passed) or its task was deleted since. This one
//     takes the claim over with a compare-and-set on its creation time and
//     creates. Should the old request's INSERT still land first, the unique
//     column refuses this one's and the next round replays that task.
//
// A create the membership checks refuse releases the claim (nothing was
// written, so the key is free again) and is explained as an unkeyed one.
func (s *Service) createKeyedTask(ctx context.Context, ticket uint64, caller int64, d dp.TaskDraft, t0 dp.Task, key string) (dp.Task, bool, error) {
	if err := checkKey(key); err != nil {
		return dp.Task{}, false, err
	}
	// The operation and input are the ones the transactional create
	// fingerprinted, so that its records still replay.
	fp, err := fingerprint(fmt.Sprintf("task:%d", t0.ProjectID), d)
	if err != nil {
		return dp.Task{}, false, err
	}
	now := t0.CreatedAt
	for range 3 { // a claim released, expired or won by another request between two statements: again
		id, err := s.repos.Idempotency.Claim(ctx, ports.IdempotencyRecord{UserID: caller, Key: key, Fingerprint: fp, CreatedAt: now})
		if err == nil {
			t, err := s.createClaimed(ctx, ticket, caller, d, t0, id)
			if errors.Is(err, dp.ErrIdempotencyKeyUsed) {
				continue // cannot happen on a fresh claim; see the takeover below
			}
			return t, false, err
		}
		if !errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			return dp.Task{}, false, err
		}
		rec, err := s.repos.Idempotency.Get(ctx, caller, key)
		switch {
		case domain.IsKind(err, domain.KindNotFound):
			continue // released or purged since the claim failed
		case err != nil:
			return dp.Task{}, false, err
		case rec.CreatedAt.Before(now.Add(-s.ttl)):
			if err := s.repos.Idempotency.DeleteExpired(ctx, caller, key, now.Add(-s.ttl)); err != nil {
				return dp.Task{}, false, err
			}
			continue
		case rec.Fingerprint != fp:
			return dp.Task{}, false, dp.ErrIdempotencyMismatch
		case len(rec.Response) > 0:
			var t dp.Task
			if err := json.Unmarshal(rec.Response, &t); err != nil {
				return dp.Task{}, false, domain.Internal(fmt.Errorf("idempotency record %q: %w", key, err))
			}
			return t, true, nil
		case rec.TaskID != 0:
			t, err := dp.NewTask(t0.ProjectID, caller, d, rec.TaskCreatedAt)
			if err != nil {
				return dp.Task{}, false, err
			}
			t.ID = rec.TaskID
			return t, true, nil
		case rec.CreatedAt.After(now.Add(-s.claim)):
			return dp.Task{}, false, dp.ErrIdempotencyInProgress
		}
		ok, err := s.repos.Idempotency.TakeOver(ctx, rec.ID, rec.CreatedAt, now)
		if err != nil {
			return dp.Task{}, false, err
		}
		if !ok {
			continue // another request took it over (or released it) first
		}
		t, err := s.createClaimed(ctx, ticket, caller, d, t0, rec.ID)
		if errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			continue // the request this one replaced created the task after all: replay it
		}
		return t, false, err
	}
	return dp.Task{}, false, domain.ErrConflict
}

// createClaimed creates the task under the claim id (whose creation time
// is t0's) and releases the claim when nothing was created.
func (s *Service) createClaimed(ctx context.Context, ticket uint64, caller int64, d dp.TaskDraft, t0 dp.Task, id int64) (dp.Task, error) {
	t := t0
	created, err := s.repos.Tasks.CreateIfMember(ctx, &t, id)
	switch {
	case err != nil && !domain.IsKind(err, domain.KindNotFound) && !domain.IsKind(err, domain.KindInvalid):
		// Conflict (the claim's task exists) or an outcome unknown (a
		// lost connection, the deadline): the claim stays, and a retry
		// finds the task or, past the claim timeout, takes it over.
		return dp.Task{}, err
	case err != nil || !created:
		// Refused, nothing written (a foreign key: the project or the
		// assignee went away meanwhile): the key is free again.
		if rerr := s.repos.Idempotency.Release(ctx, id, t0.CreatedAt); rerr != nil {
			return dp.Task{}, errors.Join(err, rerr)
		}
		if err != nil {
			return dp.Task{}, err
		}
		return dp.Task{}, s.whyNot(ctx, t0.ProjectID, caller, d.AssigneeID)
	}
	// A new task: no instance holds a copy to announce a change to.
	s.cache.PutTask(ctx, ticket, t, ports.Access{})
	return t, nil
}
