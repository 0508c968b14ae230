package memory

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// ImportedUserRepository is the in-memory twin of the import's view of
// the users table: the users live in a UserRepository, so what the import
// writes is what logins read; the links to Django rows live here, under
// the same mutex.
type ImportedUserRepository struct {
	users    *UserRepository
	bySource map[int64]int64 // Django ID -> user ID
	links    map[int64]link  // user ID -> link
}

type link struct {
	sourceID    int64
	fingerprint string
}

var _ ports.ImportedUserRepository = (*ImportedUserRepository)(nil)

// NewImportedUserRepository returns the import's view of users.
func NewImportedUserRepository(users *UserRepository) *ImportedUserRepository {
	return &ImportedUserRepository{users: users, bySource: map[int64]int64{}, links: map[int64]link{}}
}

func (r *ImportedUserRepository) imported(id int64) cutover.ImportedUser {
	l := r.links[id]
	return cutover.ImportedUser{User: cloneUser(r.users.byID[id]), SourceID: l.sourceID, Fingerprint: l.fingerprint}
}

// LockBySourceIDs returns the users imported from ids; the mutex is the
// lock.
func (r *ImportedUserRepository) LockBySourceIDs(_ context.Context, ids []int64) ([]cutover.ImportedUser, error) {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	var out []cutover.ImportedUser
	for _, sid := range ids {
		if id, ok := r.bySource[sid]; ok {
			out = append(out, r.imported(id))
		}
	}
	return out, nil
}

// ByEmailKeys returns the users with those keys.
func (r *ImportedUserRepository) ByEmailKeys(_ context.Context, keys []string) ([]cutover.ImportedUser, error) {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	var out []cutover.ImportedUser
	seen := map[int64]bool{}
	for _, k := range keys {
		if id, ok := r.users.byKey[k]; ok && !seen[id] {
			seen[id] = true
			out = append(out, r.imported(id))
		}
	}
	return out, nil
}

// Create inserts all the users or none; ErrEmailTaken when a key is taken
// (by a stored user or by another of the batch), Conflict when a source
// ID is.
func (r *ImportedUserRepository) Create(_ context.Context, users []*cutover.ImportedUser) error {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	keys, sources := map[string]bool{}, map[int64]bool{}
	for _, u := range users {
		if _, taken := r.users.byKey[u.User.EmailKey]; taken || keys[u.User.EmailKey] {
			return accounts.ErrEmailTaken
		}
		if _, taken := r.bySource[u.SourceID]; taken || sources[u.SourceID] {
			return domain.ErrConflict
		}
		keys[u.User.EmailKey], sources[u.SourceID] = true, true
	}
	for _, u := range users {
		r.users.lastID++
		u.User.ID = r.users.lastID
		r.users.byID[u.User.ID] = cloneUser(u.User)
		r.users.byKey[u.User.EmailKey] = u.User.ID
		r.bySource[u.SourceID] = u.User.ID
		r.links[u.User.ID] = link{sourceID: u.SourceID, fingerprint: u.Fingerprint}
	}
	return nil
}

// Update writes u over the user imported from u.SourceID.
func (r *ImportedUserRepository) Update(_ context.Context, u cutover.ImportedUser) error {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	id, ok := r.bySource[u.SourceID]
	if !ok {
		return domain.ErrNotFound
	}
	old := r.users.byID[id]
	if u.User.EmailKey != old.EmailKey {
		if _, taken := r.users.byKey[u.User.EmailKey]; taken {
			return accounts.ErrEmailTaken
		}
		delete(r.users.byKey, old.EmailKey)
		r.users.byKey[u.User.EmailKey] = id
	}
	u.User.ID = id
	r.users.byID[id] = cloneUser(u.User)
	r.links[id] = link{sourceID: u.SourceID, fingerprint: u.Fingerprint}
	return nil
}

// SourceIDsAfter walks imported users by source ID.
func (r *ImportedUserRepository) SourceIDsAfter(_ context.Context, after int64, limit int) ([]cutover.ImportedUser, error) {
	r.users.mu.Lock()
	defer r.users.mu.Unlock()
	var sids []int64
	for sid := range r.bySource {
		if sid > after {
			sids = append(sids, sid)
		}
	}
	slices.Sort(sids)
	out := []cutover.ImportedUser{}
	for _, sid := range sids[:min(limit, len(sids))] {
		out = append(out, r.imported(r.bySource[sid]))
	}
	return out, nil
}

// ImportedSessionRepository is the in-memory twin of the import's view of
// the sessions table, over a SessionRepository's sessions.
type ImportedSessionRepository struct {
	sessions *SessionRepository
	runs     map[string]int64 // token hash -> run, imported sessions only
}

var _ ports.ImportedSessionRepository = (*ImportedSessionRepository)(nil)

// NewImportedSessionRepository returns the import's view of sessions.
func NewImportedSessionRepository(sessions *SessionRepository) *ImportedSessionRepository {
	return &ImportedSessionRepository{sessions: sessions, runs: map[string]int64{}}
}

// ByHashes returns the sessions with those hashes.
func (r *ImportedSessionRepository) ByHashes(_ context.Context, hashes []string) ([]cutover.ImportedSession, error) {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	var out []cutover.ImportedSession
	for _, h := range hashes {
		if s, ok := r.sessions.m[h]; ok {
			out = append(out, cutover.ImportedSession{Session: s, Run: r.runs[h]})
		}
	}
	return out, nil
}

// Create inserts all the sessions or none; Conflict when a hash exists.
func (r *ImportedSessionRepository) Create(_ context.Context, sessions []cutover.ImportedSession) error {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range sessions {
		if _, ok := r.sessions.m[s.Session.TokenHash]; ok || seen[s.Session.TokenHash] {
			return domain.ErrConflict
		}
		seen[s.Session.TokenHash] = true
	}
	for _, s := range sessions {
		r.sessions.m[s.Session.TokenHash] = dbSession(s.Session)
		r.runs[s.Session.TokenHash] = s.Run
	}
	return nil
}

// dbSession keeps what the sessions table keeps: UTC microseconds.
func dbSession(s accounts.Session) accounts.Session {
	s.CreatedAt = s.CreatedAt.UTC().Truncate(time.Microsecond)
	s.ExpiresAt = s.ExpiresAt.UTC().Truncate(time.Microsecond)
	return s
}

// Update rewrites imported sessions; others are left alone.
func (r *ImportedSessionRepository) Update(_ context.Context, sessions []cutover.ImportedSession) error {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	for _, s := range sessions {
		if _, imported := r.runs[s.Session.TokenHash]; imported {
			r.sessions.m[s.Session.TokenHash] = dbSession(s.Session)
			r.runs[s.Session.TokenHash] = s.Run
		}
	}
	return nil
}

// Confirm sets the run of imported sessions.
func (r *ImportedSessionRepository) Confirm(_ context.Context, run int64, hashes []string) error {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	for _, h := range hashes {
		if _, imported := r.runs[h]; imported {
			r.runs[h] = run
		}
	}
	return nil
}

// Stale returns imported sessions of other runs, by hash. Sessions deleted
// through the SessionRepository (logout, revocation) are forgotten here.
func (r *ImportedSessionRepository) Stale(_ context.Context, run int64, limit int) ([]string, error) {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	var out []string
	for h, rn := range r.runs {
		if _, ok := r.sessions.m[h]; !ok {
			delete(r.runs, h)
			continue
		}
		if rn != run {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out[:min(limit, len(out))], nil
}

// Delete removes the sessions with those hashes.
func (r *ImportedSessionRepository) Delete(_ context.Context, hashes []string) error {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	for _, h := range hashes {
		delete(r.sessions.m, h)
		delete(r.runs, h)
	}
	return nil
}

// ImportRunRepository is the in-memory twin of django_imports.
type ImportRunRepository struct {
	mu   sync.Mutex
	runs []cutover.Run
}

var _ ports.ImportRunRepository = (*ImportRunRepository)(nil)

// NewImportRunRepository returns an empty repository.
func NewImportRunRepository() *ImportRunRepository { return &ImportRunRepository{} }

// Latest returns the newest run against source; NotFound when none.
func (r *ImportRunRepository) Latest(_ context.Context, source string) (cutover.Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.runs) - 1; i >= 0; i-- {
		if r.runs[i].Source == source {
			return cloneRun(r.runs[i]), nil
		}
	}
	return cutover.Run{}, domain.ErrNotFound
}

// Create stores run and sets its ID.
func (r *ImportRunRepository) Create(_ context.Context, run *cutover.Run) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	run.ID = int64(len(r.runs) + 1)
	r.runs = append(r.runs, cloneRun(*run))
	return nil
}

// Save writes run over the stored one; NotFound when absent.
func (r *ImportRunRepository) Save(_ context.Context, run cutover.Run) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if run.ID < 1 || int(run.ID) > len(r.runs) {
		return domain.ErrNotFound
	}
	r.runs[run.ID-1] = cloneRun(run)
	return nil
}

// cloneRun copies what a run shares by reference, and keeps times as the
// database would.
func cloneRun(r cutover.Run) cutover.Run {
	tally := make(map[string]int64, len(r.Tally))
	for k, v := range r.Tally {
		tally[k] = v
	}
	r.Tally = tally
	r.Sample = slices.Clone(r.Sample)
	cs := make([]cutover.Collision, len(r.Collisions))
	for i, c := range r.Collisions {
		cs[i] = cutover.Collision{EmailKey: c.EmailKey, SourceIDs: slices.Clone(c.SourceIDs)}
	}
	r.Collisions = cs
	if len(cs) == 0 {
		r.Collisions = nil
	}
	r.StartedAt = r.StartedAt.UTC().Truncate(time.Microsecond)
	r.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Microsecond)
	if r.FinishedAt != nil {
		t := r.FinishedAt.UTC().Truncate(time.Microsecond)
		r.FinishedAt = &t
	}
	return r
}

// DjangoSource is the in-memory twin of a Django database: users and
// sessions given by a test.
type DjangoSource struct {
	mu       sync.Mutex
	users    []cutover.SourceUser
	sessions []cutover.SourceSession
}

var _ ports.DjangoSource = (*DjangoSource)(nil)

// NewDjangoSource returns a source holding copies of users and sessions.
func NewDjangoSource(users []cutover.SourceUser, sessions []cutover.SourceSession) *DjangoSource {
	s := &DjangoSource{}
	s.Set(users, sessions)
	return s
}

// Set replaces the source's rows, as Django would have changed them
// between two imports.
func (s *DjangoSource) Set(users []cutover.SourceUser, sessions []cutover.SourceSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = slices.SortedFunc(slices.Values(users), func(a, b cutover.SourceUser) int { return cmp.Compare(a.ID, b.ID) })
	s.sessions = slices.SortedFunc(slices.Values(sessions), func(a, b cutover.SourceSession) int { return cmp.Compare(a.Key, b.Key) })
}

// Describe names the twin.
func (s *DjangoSource) Describe() string { return "memory users=" + strconv.Itoa(len(s.users)) }

// CountUsers counts the users.
func (s *DjangoSource) CountUsers(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.users)), nil
}

// Users walks users by ID.
func (s *DjangoSource) Users(_ context.Context, afterID int64, limit int) ([]cutover.SourceUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cutover.SourceUser
	for _, u := range s.users {
		if u.ID > afterID && len(out) < limit {
			out = append(out, u)
		}
	}
	return out, nil
}

// UsersByID returns the users among ids.
func (s *DjangoSource) UsersByID(_ context.Context, ids []int64) ([]cutover.SourceUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cutover.SourceUser
	for _, u := range s.users {
		if slices.Contains(ids, u.ID) {
			out = append(out, u)
		}
	}
	return out, nil
}

// EmailCandidates returns every user whose lowercased, trimmed email is
// shared, like the MySQL query.
func (s *DjangoSource) EmailCandidates(context.Context) ([]cutover.SourceUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[string]int{}
	for _, u := range s.users {
		count[accounts.EmailKey(u.Email)]++
	}
	var out []cutover.SourceUser
	for _, u := range s.users {
		if count[accounts.EmailKey(u.Email)] > 1 {
			out = append(out, cutover.SourceUser{ID: u.ID, Email: u.Email})
		}
	}
	return out, nil
}

// CountSessions counts live and expired sessions at now.
func (s *DjangoSource) CountSessions(_ context.Context, now time.Time) (live, expired int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		if ss.ExpireDate.After(now) {
			live++
		} else {
			expired++
		}
	}
	return live, expired, nil
}

// Sessions walks live sessions by key.
func (s *DjangoSource) Sessions(_ context.Context, afterKey string, now time.Time, limit int) ([]cutover.SourceSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cutover.SourceSession
	for _, ss := range s.sessions {
		if ss.Key > afterKey && ss.ExpireDate.After(now) && len(out) < limit {
			out = append(out, ss)
		}
	}
	return out, nil
}
