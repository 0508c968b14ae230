package cutover

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// findCollisions finds the Django users whose emails normalise to the same
// Onit login name. None of a group is imported: which of two accounts is
// the person's is a question for the operator, not for the importer. The
// source's candidates are normalised again here with Onit's own rule; the
// unique email index catches what both miss, at write time. Memory grows
// with the number of collisions only.
func (im *Importer) findCollisions(ctx context.Context, r *run) error {
	cands, err := im.source.EmailCandidates(ctx)
	if err != nil {
		return fmt.Errorf("looking for email collisions: %w", err)
	}
	groups := map[string][]int64{}
	for _, c := range cands {
		k := accounts.EmailKey(c.Email)
		groups[k] = append(groups[k], c.ID)
	}
	r.collisions = map[int64]string{}
	var listed []cutover.Collision
	for k, ids := range groups {
		if len(ids) < 2 {
			continue
		}
		slices.Sort(ids)
		for _, id := range ids {
			r.collisions[id] = k
		}
		listed = append(listed, cutover.Collision{EmailKey: k, SourceIDs: ids})
	}
	slices.SortFunc(listed, func(a, b cutover.Collision) int { return cmp.Compare(a.SourceIDs[0], b.SourceIDs[0]) })
	r.Collisions = listed[:min(len(listed), cutover.MaxListed)]
	return nil
}

// users walks Django's users in batches and creates or updates them.
func (im *Importer) users(ctx context.Context, r *run) error {
	total, err := im.source.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("counting the source's users: %w", err)
	}
	r.progress.Phase("users", total)
	r.progress.Advance(r.Tally[scopeUsers+keyRead])
	for {
		rows, err := im.source.Users(ctx, r.AfterUserID, im.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("reading users after %d: %w", r.AfterUserID, err)
		}
		if len(rows) == 0 {
			break
		}
		changed, err := im.usersBatch(ctx, r, rows)
		if err != nil {
			return fmt.Errorf("importing users %d–%d: %w", rows[0].ID, rows[len(rows)-1].ID, err)
		}
		im.invalidate(ctx, nil, changed)
		r.progress.Advance(int64(len(rows)))
	}
	r.progress.Done()
	return im.nextPhase(ctx, r, cutover.PhaseGone)
}

// usersBatch imports one batch in one unit of work and returns the IDs of
// users it updated.
func (im *Importer) usersBatch(ctx context.Context, r *run, rows []cutover.SourceUser) ([]int64, error) {
	var updated []int64
	err := im.commit(ctx, r, func(ctx context.Context, repos ports.Repos, next *cutover.Run) error {
		updated = nil
		t := next.Tally
		var cands []mapped
		for _, row := range rows {
			t[scopeUsers+keyRead]++
			readNo := t[scopeUsers+keyRead]
			if _, ok := r.collisions[row.ID]; ok {
				t[scopeUsers+keySkipped+skipCollision]++
				continue
			}
			f := im.inspector.Inspect(row.Password)
			switch {
			case f.Unusable:
				t[keyNote+noteUnusablePassword]++
			case !f.Verifiable:
				t[scopeUsers+keySkipped+skipUnverifiable]++
				countAlgorithm(t, keyUnverified, f.Algorithm)
				continue
			default:
				countAlgorithm(t, keyAlgorithm, f.Algorithm)
			}
			m := mapUser(row, im.cfg.DefaultLanguage, r.now)
			if m.skip != "" {
				t[scopeUsers+keySkipped+m.skip]++
				continue
			}
			for _, n := range m.notes {
				t[keyNote+n]++
			}
			if readNo%r.sampleStep == 0 && len(next.Sample) < cutover.SampleSize {
				next.Sample = append(next.Sample, row.ID) // kept only if imported, below
			}
			cands = append(cands, m)
		}
		var err error
		updated, err = im.writeUsers(ctx, r, repos, next, cands)
		if err != nil {
			return err
		}
		next.AfterUserID = rows[len(rows)-1].ID
		return nil
	})
	return updated, err
}

// writeUsers decides, for each candidate, create, update, unchanged or
// skip, against Onit's current rows (locked), and writes unless dry.
func (im *Importer) writeUsers(ctx context.Context, r *run, repos ports.Repos, next *cutover.Run, cands []mapped) ([]int64, error) {
	t := next.Tally
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.source.ID
	}
	existing, err := repos.ImportedUsers.LockBySourceIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	bySource := map[int64]cutover.ImportedUser{}
	for _, e := range existing {
		bySource[e.SourceID] = e
	}
	var keys []string
	for _, c := range cands {
		if e, ok := bySource[c.source.ID]; !ok || e.User.EmailKey != c.user.EmailKey {
			keys = append(keys, c.user.EmailKey)
		}
	}
	holders, err := repos.ImportedUsers.ByEmailKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	byKey := map[string]cutover.ImportedUser{}
	for _, h := range holders {
		byKey[h.User.EmailKey] = h
	}

	imported := map[int64]bool{} // Django IDs now in Onit as Django has them
	var creates []*cutover.ImportedUser
	var updated []int64
	batchKeys := map[string]bool{}
	for _, c := range cands {
		want := cutover.ImportedUser{User: c.user, SourceID: c.source.ID}
		if e, ok := bySource[c.source.ID]; ok {
			want.User.ID = e.User.ID
			want.Fingerprint = cutover.Fingerprint(want.User)
			current := cutover.Fingerprint(e.User)
			switch {
			case current == want.Fingerprint:
				t[scopeUsers+keyUnchanged]++
				imported[c.source.ID] = true
				continue
			case current != e.Fingerprint:
				t[scopeUsers+keySkipped+skipChangedInOnit]++
				continue
			}
			if h, taken := byKey[want.User.EmailKey]; taken && h.User.ID != e.User.ID {
				t[scopeUsers+keySkipped+holderReason(h)]++
				continue
			}
			if !r.dry {
				if err := repos.ImportedUsers.Update(ctx, want); isConflict(err) {
					t[scopeUsers+keySkipped+skipEmailTaken]++
					continue
				} else if err != nil {
					return nil, err
				}
			}
			t[scopeUsers+keyUpdated]++
			updated = append(updated, e.User.ID)
			imported[c.source.ID] = true
			continue
		}
		if h, taken := byKey[want.User.EmailKey]; taken {
			t[scopeUsers+keySkipped+holderReason(h)]++
			continue
		}
		if batchKeys[want.User.EmailKey] {
			// Two rows of this batch that the source's collision query
			// did not group (a case mapping the server and Go disagree on).
			t[scopeUsers+keySkipped+skipCollision]++
			continue
		}
		batchKeys[want.User.EmailKey] = true
		want.Fingerprint = cutover.Fingerprint(want.User)
		creates = append(creates, &want)
	}
	if err := im.create(ctx, r, repos, t, creates, imported); err != nil {
		return nil, err
	}
	// The sample keeps only users that are in Onit as Django has them.
	next.Sample = slices.DeleteFunc(next.Sample, func(id int64) bool {
		return slices.Contains(ids, id) && !imported[id]
	})
	return updated, nil
}

// holderReason tells why an email key held by h blocks another Django
// user: h came from Django too (a collision the source query missed), or
// h signed up in Onit.
func holderReason(h cutover.ImportedUser) string {
	if h.SourceID != 0 {
		return skipCollision
	}
	return skipEmailTaken
}

// create inserts the new users in one statement; when that hits a taken
// email (someone signing up in Onit meanwhile), it inserts them one by one
// and skips the ones refused.
func (im *Importer) create(ctx context.Context, r *run, repos ports.Repos, t map[string]int64, creates []*cutover.ImportedUser, imported map[int64]bool) error {
	if len(creates) == 0 {
		return nil
	}
	ok := func(u *cutover.ImportedUser) {
		t[scopeUsers+keyImported]++
		imported[u.SourceID] = true
	}
	if r.dry {
		for _, u := range creates {
			ok(u)
		}
		return nil
	}
	err := repos.ImportedUsers.Create(ctx, creates)
	if err == nil {
		for _, u := range creates {
			ok(u)
		}
		return nil
	}
	if !isConflict(err) {
		return err
	}
	for _, u := range creates {
		err := repos.ImportedUsers.Create(ctx, []*cutover.ImportedUser{u})
		switch {
		case isConflict(err):
			t[scopeUsers+keySkipped+skipEmailTaken]++
		case err != nil:
			return err
		default:
			ok(u)
		}
	}
	return nil
}

// gone deactivates imported users that Django no longer has: a user
// deleted in Django must not keep an account in Onit. One changed in Onit
// since the import (they used Onit) is left as it is and counted.
func (im *Importer) gone(ctx context.Context, r *run) error {
	r.progress.Phase("users deleted in Django", 0)
	for {
		batch, err := im.repos.ImportedUsers.SourceIDsAfter(ctx, r.AfterUserID, im.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("reading imported users: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		ids := make([]int64, len(batch))
		for i, u := range batch {
			ids[i] = u.SourceID
		}
		present, err := im.source.UsersByID(ctx, ids)
		if err != nil {
			return fmt.Errorf("reading source users: %w", err)
		}
		still := map[int64]bool{}
		for _, p := range present {
			still[p.ID] = true
		}
		var missing []int64
		for _, id := range ids {
			if !still[id] {
				missing = append(missing, id)
			}
		}
		var deactivated []int64
		err = im.commit(ctx, r, func(ctx context.Context, repos ports.Repos, next *cutover.Run) error {
			deactivated = nil
			locked, err := repos.ImportedUsers.LockBySourceIDs(ctx, missing)
			if err != nil {
				return err
			}
			for _, u := range locked {
				if !u.User.IsActive {
					continue
				}
				if cutover.Fingerprint(u.User) != u.Fingerprint {
					next.Tally[keyGoneKept]++
					continue
				}
				u.User.IsActive = false
				u.Fingerprint = cutover.Fingerprint(u.User)
				if !r.dry {
					if err := repos.ImportedUsers.Update(ctx, u); err != nil {
						return err
					}
				}
				next.Tally[scopeUsers+keyRemoved]++
				deactivated = append(deactivated, u.User.ID)
			}
			next.AfterUserID = ids[len(ids)-1]
			return nil
		})
		if err != nil {
			return fmt.Errorf("deactivating users deleted in Django: %w", err)
		}
		im.invalidate(ctx, nil, deactivated)
		r.progress.Advance(int64(len(batch)))
	}
	r.progress.Done()
	return im.nextPhase(ctx, r, cutover.PhaseSessions)
}
