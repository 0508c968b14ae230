package cutover

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// sessionCheck is a Django session that passed the checks needing only
// Django's data, waiting for the checks against Onit's.
type sessionCheck struct {
	row      cutover.SourceSession
	login    cutover.Login
	sourceID int64
	user     cutover.SourceUser // the Django user as it is now
}

// sessions walks Django's live sessions and copies those Django itself
// would still accept: signed with the secret key, of an active user whose
// password has not changed since the login (_auth_user_hash), and whose
// Onit account still has that same password hash. Without a secret key
// the phase does nothing and the report says why.
func (im *Importer) sessions(ctx context.Context, r *run) error {
	if im.codec == nil {
		return im.nextPhase(ctx, r, cutover.PhaseDone)
	}
	if _, counted := r.Tally[keyLiveAtStart]; !counted {
		live, expired, err := im.source.CountSessions(ctx, r.now)
		if err != nil {
			return fmt.Errorf("counting the source's sessions: %w", err)
		}
		if err := im.commit(ctx, r, func(_ context.Context, _ ports.Repos, next *cutover.Run) error {
			next.Tally[keyLiveAtStart] = live
			next.Tally[scopeSessions+keySkipped+skipExpired] = expired
			return nil
		}); err != nil {
			return err
		}
	}
	r.progress.Phase("sessions", r.Tally[keyLiveAtStart])
	r.progress.Advance(r.Tally[scopeSessions+keyRead])
	for {
		rows, err := im.source.Sessions(ctx, r.AfterSessionKey, r.now, im.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("reading sessions: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		changed, err := im.sessionsBatch(ctx, r, rows)
		if err != nil {
			return fmt.Errorf("importing sessions: %w", err)
		}
		im.invalidate(ctx, changed, nil)
		r.progress.Advance(int64(len(rows)))
	}
	r.progress.Done()
	next := cutover.PhaseStale
	if r.dry {
		next = cutover.PhaseDone // which sessions a run would revoke is known only by running it
	}
	return im.nextPhase(ctx, r, next)
}

// sessionsBatch checks and writes one batch in one unit of work; it
// returns the hashes of sessions it changed, for the caches.
func (im *Importer) sessionsBatch(ctx context.Context, r *run, rows []cutover.SourceSession) ([]string, error) {
	checks, skips, err := im.checkWithDjango(ctx, rows)
	if err != nil {
		return nil, err
	}
	var changed []string
	err = im.commit(ctx, r, func(ctx context.Context, repos ports.Repos, next *cutover.Run) error {
		changed = nil
		t := next.Tally
		t[scopeSessions+keyRead] += int64(len(rows))
		for reason, n := range skips {
			t[scopeSessions+keySkipped+reason] += n
		}
		var err error
		changed, err = im.writeSessions(ctx, r, repos, t, checks)
		if err != nil {
			return err
		}
		next.AfterSessionKey = rows[len(rows)-1].Key
		return nil
	})
	return changed, err
}

// checkWithDjango verifies each session's signature and its user's
// password hash, as Django's get_user does.
func (im *Importer) checkWithDjango(ctx context.Context, rows []cutover.SourceSession) ([]sessionCheck, map[string]int64, error) {
	skips := map[string]int64{}
	var checks []sessionCheck
	var ids []int64
	for _, row := range rows {
		login, err := im.codec.Decode(row.Data)
		switch {
		case errors.Is(err, cutover.ErrBadSignature):
			skips[skipBadSignature]++
			continue
		case err != nil:
			skips[skipMalformed]++
			continue
		case login.UserID == "":
			skips[skipAnonymous]++
			continue
		}
		id, err := strconv.ParseInt(login.UserID, 10, 64)
		if err != nil {
			skips[skipUnknownUser]++
			continue
		}
		checks = append(checks, sessionCheck{row: row, login: login, sourceID: id})
		ids = append(ids, id)
	}
	users, err := im.source.UsersByID(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the sessions' users: %w", err)
	}
	byID := map[int64]cutover.SourceUser{}
	for _, u := range users {
		byID[u.ID] = u
	}
	kept := checks[:0]
	for _, c := range checks {
		u, ok := byID[c.sourceID]
		switch {
		case !ok:
			skips[skipUnknownUser]++
		case !u.IsActive:
			skips[skipInactive]++
		case !im.codec.AuthHashMatches(c.login.AuthHash, u.Password):
			skips[skipHashMismatch]++
		default:
			c.user = u
			kept = append(kept, c)
		}
	}
	return kept, skips, nil
}

// writeSessions checks each session against its Onit user and creates,
// updates or confirms it. Expiry is Django's; the creation time is when
// Django last saved the session, the nearest it records.
func (im *Importer) writeSessions(ctx context.Context, r *run, repos ports.Repos, t map[string]int64, checks []sessionCheck) ([]string, error) {
	ids := make([]int64, len(checks))
	for i, c := range checks {
		ids[i] = c.sourceID
	}
	onit, err := repos.ImportedUsers.LockBySourceIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	bySource := map[int64]cutover.ImportedUser{}
	for _, u := range onit {
		bySource[u.SourceID] = u
	}
	if r.dry {
		// Nothing was written by the users phase: count the sessions of
		// users it would have created as if it had.
		if err := im.wouldImport(ctx, r, repos, checks, bySource); err != nil {
			return nil, err
		}
	}
	var wanted []cutover.ImportedSession
	var hashes []string
	for _, c := range checks {
		u, ok := bySource[c.sourceID]
		switch {
		case !ok:
			t[scopeSessions+keySkipped+skipUserNotImported]++
			continue
		case !u.User.IsActive:
			t[scopeSessions+keySkipped+skipInactive]++
			continue
		case u.User.PasswordHash != c.user.Password:
			t[scopeSessions+keySkipped+skipPasswordChanged]++
			continue
		}
		created := c.login.SignedAt
		if created.IsZero() || created.After(r.now) {
			created = r.now
		}
		s := accounts.Session{TokenHash: accounts.HashToken(c.row.Key), UserID: u.User.ID,
			CreatedAt: created, ExpiresAt: c.row.ExpireDate}
		wanted = append(wanted, cutover.ImportedSession{Session: s, Run: r.ID})
		hashes = append(hashes, s.TokenHash)
	}
	existing, err := repos.ImportedSessions.ByHashes(ctx, hashes)
	if err != nil {
		return nil, err
	}
	byHash := map[string]cutover.ImportedSession{}
	for _, e := range existing {
		byHash[e.Session.TokenHash] = e
	}
	var creates, updates []cutover.ImportedSession
	var confirms, changed []string
	for _, w := range wanted {
		e, ok := byHash[w.Session.TokenHash]
		switch {
		case !ok:
			creates = append(creates, w)
		case e.Run == 0:
			t[scopeSessions+keySkipped+skipExistsInOnit]++
		case sameSession(e.Session, w.Session):
			confirms = append(confirms, w.Session.TokenHash)
		default:
			updates = append(updates, w)
			changed = append(changed, w.Session.TokenHash)
		}
	}
	t[scopeSessions+keyImported] += int64(len(creates))
	t[scopeSessions+keyUpdated] += int64(len(updates))
	t[scopeSessions+keyUnchanged] += int64(len(confirms))
	if r.dry {
		return nil, nil
	}
	if err := repos.ImportedSessions.Create(ctx, creates); err != nil {
		return nil, err
	}
	if err := repos.ImportedSessions.Update(ctx, updates); err != nil {
		return nil, err
	}
	if err := repos.ImportedSessions.Confirm(ctx, r.ID, confirms); err != nil {
		return nil, err
	}
	return changed, nil
}

// wouldImport adds to bySource, as a dry run's stand-in, the sessions'
// users that are not in Onit but that the users phase would create: not
// in a collision, with a hash Onit verifies, valid for Onit, and with an
// email nobody in Onit has. Only the batch's users are looked at, so a dry
// run's memory stays as flat as a real one's.
func (im *Importer) wouldImport(ctx context.Context, r *run, repos ports.Repos, checks []sessionCheck, bySource map[int64]cutover.ImportedUser) error {
	var cands []mapped
	var keys []string
	for _, c := range checks {
		if _, ok := bySource[c.sourceID]; ok {
			continue
		}
		if _, collides := r.collisions[c.sourceID]; collides {
			continue
		}
		if f := im.inspector.Inspect(c.user.Password); !f.Verifiable && !f.Unusable {
			continue
		}
		m := mapUser(c.user, im.cfg.DefaultLanguage, r.now)
		if m.skip != "" {
			continue
		}
		cands = append(cands, m)
		keys = append(keys, m.user.EmailKey)
	}
	taken, err := repos.ImportedUsers.ByEmailKeys(ctx, keys)
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, h := range taken {
		held[h.User.EmailKey] = true
	}
	for _, m := range cands {
		if !held[m.user.EmailKey] {
			bySource[m.source.ID] = cutover.ImportedUser{User: m.user, SourceID: m.source.ID}
		}
	}
	return nil
}

// sameSession compares what the sessions table keeps (microseconds).
func sameSession(a, b accounts.Session) bool {
	const us = 1000
	return a.UserID == b.UserID && a.CreatedAt.UnixNano()/us == b.CreatedAt.UnixNano()/us &&
		a.ExpiresAt.UnixNano()/us == b.ExpiresAt.UnixNano()/us
}

// stale revokes sessions an earlier run imported that this run did not
// confirm: Django no longer has them valid (logged out, expired, password
// changed), so Onit must not keep them either.
func (im *Importer) stale(ctx context.Context, r *run) error {
	r.progress.Phase("sessions no longer valid in Django", 0)
	for {
		hashes, err := im.repos.ImportedSessions.Stale(ctx, r.ID, im.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("finding stale sessions: %w", err)
		}
		if len(hashes) == 0 {
			break
		}
		if err := im.commit(ctx, r, func(ctx context.Context, repos ports.Repos, next *cutover.Run) error {
			next.Tally[scopeSessions+keyRemoved] += int64(len(hashes))
			return repos.ImportedSessions.Delete(ctx, hashes)
		}); err != nil {
			return fmt.Errorf("revoking stale sessions: %w", err)
		}
		im.invalidate(ctx, hashes, nil)
		r.progress.Advance(int64(len(hashes)))
	}
	r.progress.Done()
	return im.nextPhase(ctx, r, cutover.PhaseDone)
}
