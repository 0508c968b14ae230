package ports

import (
	"context"
	"time"

	"github.com/onitapp/onit/domain/accounts"
)

// UserRepository stores users.
type UserRepository interface {
	// Create inserts u and sets its ID. Conflict (accounts.ErrEmailTaken)
	// when the email key is taken; the store's unique index decides, so two
	// concurrent creates give one user.
	Create(ctx context.Context, u *accounts.User) error
	// ByID returns the user. NotFound when absent.
	ByID(ctx context.Context, id int64) (accounts.User, error)
	// ByEmailKey returns the user with that normalised email. NotFound when absent.
	ByEmailKey(ctx context.Context, key string) (accounts.User, error)
	// Update loads the user under a lock, applies fn and saves the result.
	// NotFound when absent; fn's error aborts without saving and is returned
	// as is; Conflict (accounts.ErrEmailTaken) when fn moved the email key
	// onto another user's.
	Update(ctx context.Context, id int64, fn func(*accounts.User) error) (accounts.User, error)
}

// SessionRepository is the durable store of sessions (the truth).
type SessionRepository interface {
	// Create stores s. Conflict when the hash exists.
	Create(ctx context.Context, s accounts.Session) error
	// ByHash returns the session. NotFound when absent (expired ones are returned; callers check).
	ByHash(ctx context.Context, hash string) (accounts.Session, error)
	// Delete removes one session; absent is not an error.
	Delete(ctx context.Context, hash string) error
	// DeleteForUser removes every session of the user except keepHash and
	// returns the hashes it removed, so caches can drop them.
	DeleteForUser(ctx context.Context, userID int64, keepHash string) ([]string, error)
	// DeleteExpired removes sessions expired at now (ExpiresAt <= now, see
	// accounts.Session.Expired) and returns how many.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)

	// ListForUser returns the user's sessions live at now, newest first,
	// with their IDs and details.
	ListForUser(ctx context.Context, userID int64, now time.Time) ([]accounts.Session, error)
	// Touch records that the sessions were used at at: LastUsedAt becomes
	// at where it is unset or earlier. Absent hashes are skipped.
	Touch(ctx context.Context, hashes []string, at time.Time) error
}

// PasswordHasher hashes and verifies passwords in Django's encoded format
// (pbkdf2_sha256$iterations$salt$hash).
type PasswordHasher interface {
	// Hash encodes password with a fresh random salt and the configured cost.
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded, and whether a match
	// should be re-hashed because its algorithm or cost is outdated. An empty,
	// unusable ("!…") or unknown encoded value still costs one full hash and
	// never matches, so timing reveals nothing.
	Verify(password, encoded string) (ok, needsRehash bool)
}

// ThrottleCounter is one fixed-window attempt counter: Kind names what is
// counted ("login_account", "login_client", "register_client") and ID whose
// attempts (a normalised e-mail, a client address). A window starts with its
// first attempt and is never extended by later ones, so hammering a blocked
// counter does not prolong the block. An empty ID, a Limit or a Window of 0
// switches the counter off.
type ThrottleCounter struct {
	Kind   string
	ID     string
	Limit  int
	Window time.Duration
}

// On reports whether the counter counts at all.
func (c ThrottleCounter) On() bool { return c.ID != "" && c.Limit > 0 && c.Window > 0 }

// Throttle counts attempts before the work they guard (a password hash),
// so that however many run concurrently at most Limit per window reach it.
type Throttle interface {
	// Attempt counts one attempt on every counter that is on and returns
	// how long the caller must wait (0: go ahead): the rest of the window of
	// a counter now beyond its limit, the longest when several are. The
	// count and its verdict are one atomic step per counter. Unavailable
	// when the store failed; the wait is then meaningless and callers fall
	// back to another throttle (see accounts.FallbackThrottle).
	Attempt(ctx context.Context, counters ...ThrottleCounter) (time.Duration, error)
	// Reset forgets the counters' attempts (a successful login forgives its
	// account's). Unavailable when the store failed.
	Reset(ctx context.Context, counters ...ThrottleCounter) error
}

// Invalidation names cached state that stopped being true: sessions that
// were revoked, users whose record changed, and projects and tasks that
// were written. Any list may be empty.
type Invalidation struct {
	// Sessions are token hashes of revoked sessions.
	Sessions []string
	// Users are IDs of users whose record changed (profile, password,
	// last login, deactivation): copies of them must be reloaded.
	Users []int64
	// Projects are projects whose record or membership changed (every
	// membership change writes a new project version), or that were
	// deleted: copies older than the version named must be reloaded.
	Projects []ObjectVersion
	// Tasks are tasks that were written or deleted, likewise.
	Tasks []ObjectVersion
}

// ObjectVersion names one version of a project or task: copies older than
// Version are stale. A deletion carries Deleted, which every copy is older
// than.
type ObjectVersion struct {
	ID      int64
	Version int64
}

// Deleted is the Version an ObjectVersion of a deleted object carries.
const Deleted int64 = 1<<63 - 1

// Empty reports whether inv names nothing.
func (inv Invalidation) Empty() bool {
	return len(inv.Sessions)+len(inv.Users)+len(inv.Projects)+len(inv.Tasks) == 0
}

// LocalSessionCache is one instance's in-process copy of live sessions and
// their users, in front of the repositories, so that
// authenticating a known session costs no round trip. It is bounded in size
// and keeps each entry only a short time. An implementation that cannot be
// sure it hears revocations (see Revocations) answers every Get with a miss.
type LocalSessionCache interface {
	// Get returns the session with that token hash and its user, and true
	// on a hit. It does not check the session's expiry; callers do.
	Get(hash string) (accounts.Session, accounts.User, bool)
	// Ticket is taken before reading a session and its user from the
	// slower stores. Put stores them only if no invalidation arrived since
	// the ticket was taken, so a revocation racing the read cannot be undone
	// by the write that follows it.
	Ticket() uint64
	// Put stores s and u (u must be s's user) when ticket is still current.
	Put(ticket uint64, s accounts.Session, u accounts.User)
	// Invalidate drops the named sessions and users from this instance.
	Invalidate(inv Invalidation)
}

// Revocations tells every instance, this one included, to drop its local
// copies of what an Invalidation names (sessions, users, projects, tasks).
type Revocations interface {
	// Publish announces inv. Unavailable when it could not be sent now;
	// the implementation then keeps trying in the background for as long
	// as a stale copy could live, and instances that cannot hear it stop
	// trusting their local copies by themselves.
	Publish(ctx context.Context, inv Invalidation) error
}
