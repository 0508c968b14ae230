package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// StaffDirectory is the in-memory twin of the MySQL staff directory,
// reading the user repository and the projects store.
type StaffDirectory struct {
	users *UserRepository
	store *ProjectsStore
}

var _ ports.StaffDirectory = (*StaffDirectory)(nil)

// NewStaffDirectory returns a directory over users and store.
func NewStaffDirectory(users *UserRepository, store *ProjectsStore) *StaffDirectory {
	return &StaffDirectory{users: users, store: store}
}

// SearchUsers matches a case-insensitive substring of the email key or
// the name. (MySQL's collation also ignores accents in names; the twin
// does not, and the contract suite does not ask it to.)
func (d *StaffDirectory) SearchUsers(_ context.Context, query string, afterID int64, limit int) ([]accounts.User, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	d.users.mu.Lock()
	var out []accounts.User
	for id, u := range d.users.byID {
		if id <= afterID {
			continue
		}
		if q == "" || strings.Contains(u.EmailKey, q) || strings.Contains(strings.ToLower(u.Name), q) {
			out = append(out, cloneUser(u))
		}
	}
	d.users.mu.Unlock()
	slices.SortFunc(out, func(a, b accounts.User) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

// CountProjects counts the user's memberships in the store.
func (d *StaffDirectory) CountProjects(_ context.Context, userID int64) (int, error) {
	d.store.mu.Lock()
	defer d.store.mu.Unlock()
	n := 0
	for _, ms := range d.store.d.members {
		if _, ok := ms[userID]; ok {
			n++
		}
	}
	return n, nil
}

// AuditLog is the in-memory twin of the audit_log table. It lives outside
// the ProjectsStore, so a failed unit of work does not roll it back; the
// staff use cases append last in their unit of work, after every step that
// can fail, so that never matters.
type AuditLog struct {
	mu     sync.Mutex
	lastID int64
	rows   []accounts.AuditEntry // ascending ID
}

var _ ports.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns an empty log.
func NewAuditLog() *AuditLog { return &AuditLog{} }

// Append stores e and sets its ID.
func (l *AuditLog) Append(_ context.Context, e *accounts.AuditEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastID++
	e.ID = l.lastID
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond) // what DATETIME(6) keeps
	l.rows = append(l.rows, *e)
	return nil
}

// List returns the page q selects, newest first.
func (l *AuditLog) List(_ context.Context, q ports.AuditQuery) ([]accounts.AuditEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []accounts.AuditEntry
	for i := len(l.rows) - 1; i >= 0 && len(out) < q.Limit; i-- {
		e := l.rows[i]
		if (q.TargetID == 0 || e.TargetID == q.TargetID) && (q.BeforeID == 0 || e.ID < q.BeforeID) {
			out = append(out, e)
		}
	}
	return out, nil
}
