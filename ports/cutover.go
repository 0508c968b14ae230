package ports

import (
	"context"
	"time"

	"github.com/onitapp/onit/domain/cutover"
)

// DjangoSource reads the Django backend's database. Implementations only
// read: an import must be safe to run against the production database.
type DjangoSource interface {
	// Describe names the source (server, database, tables) for reports and
	// for matching an interrupted run; never credentials.
	Describe() string
	// CountUsers returns how many users the table holds.
	CountUsers(ctx context.Context) (int64, error)
	// Users returns up to limit users with IDs above afterID, by ID.
	Users(ctx context.Context, afterID int64, limit int) ([]cutover.SourceUser, error)
	// UsersByID returns the users among ids that exist, in any order.
	UsersByID(ctx context.Context, ids []int64) ([]cutover.SourceUser, error)
	// EmailCandidates returns the ID and email of every user whose email
	// may normalise to the same login name as another user's. It may
	// return more than the true collisions (callers normalise and group
	// them) but must not miss a group differing only in letter case or
	// surrounding spaces.
	EmailCandidates(ctx context.Context) ([]cutover.SourceUser, error)
	// CountSessions returns how many sessions are live at now (expiry
	// after now) and how many have expired.
	CountSessions(ctx context.Context, now time.Time) (live, expired int64, err error)
	// Sessions returns up to limit sessions live at now with keys above
	// afterKey, by key.
	Sessions(ctx context.Context, afterKey string, now time.Time, limit int) ([]cutover.SourceSession, error)
}

// DjangoSessionCodec reads Django's signed session data with the old
// backend's secret keys.
type DjangoSessionCodec interface {
	// Decode verifies the signature of a django_session.session_data value
	// and returns the login it records. Errors: cutover.ErrBadSignature (Invalid)
	// when no key signed it, cutover.ErrMalformedSession (Invalid) when it is signed
	// but unreadable.
	Decode(data string) (cutover.Login, error)
	// AuthHashMatches reports whether authHash is Django's session auth
	// hash of a user whose encoded password is passwordHash, under any of
	// the keys (Django's SECRET_KEY_FALLBACKS rule).
	AuthHashMatches(authHash, passwordHash string) bool
}

// PasswordHashFormat describes an encoded password hash without checking a
// password against it.
type PasswordHashFormat struct {
	// Algorithm is Django's name for it (pbkdf2_sha256, md5, …); empty for
	// an unusable password.
	Algorithm string
	// Unusable is Django's unusable password ("!…"): a valid state that
	// never matches.
	Unusable bool
	// Verifiable means PasswordHasher.Verify can check passwords against
	// it: a known algorithm, well formed, within the cost limits.
	Verifiable bool
}

// PasswordHashInspector tells which encoded hashes the PasswordHasher
// verifies.
type PasswordHashInspector interface {
	Inspect(encoded string) PasswordHashFormat
}

// ImportedUserRepository stores users together with their Django source
// IDs; the users are the same ones UserRepository sees.
type ImportedUserRepository interface {
	// LockBySourceIDs returns the users imported from those Django IDs,
	// locked until the unit of work ends, in any order.
	LockBySourceIDs(ctx context.Context, ids []int64) ([]cutover.ImportedUser, error)
	// ByEmailKeys returns the users (imported or not) with those email
	// keys, in any order.
	ByEmailKeys(ctx context.Context, keys []string) ([]cutover.ImportedUser, error)
	// Create inserts the users with their links, all or none, and sets
	// each User.ID. Conflict (accounts.ErrEmailTaken) when an email key is
	// taken; Conflict when a source ID is.
	Create(ctx context.Context, users []*cutover.ImportedUser) error
	// Update writes every field of u.User and its fingerprint to the user
	// imported from u.SourceID. NotFound when there is none; Conflict
	// (accounts.ErrEmailTaken) when the new email key is another user's.
	Update(ctx context.Context, u cutover.ImportedUser) error
	// SourceIDsAfter returns up to limit imported users with source IDs
	// above after, by source ID.
	SourceIDsAfter(ctx context.Context, after int64, limit int) ([]cutover.ImportedUser, error)
}

// ImportedSessionRepository stores sessions copied from Django; they are
// the same sessions SessionRepository sees.
type ImportedSessionRepository interface {
	// ByHashes returns the sessions (imported or not) with those token
	// hashes, in any order; Run is 0 for sessions started in Onit.
	ByHashes(ctx context.Context, hashes []string) ([]cutover.ImportedSession, error)
	// Create inserts the sessions. Conflict when a hash exists.
	Create(ctx context.Context, sessions []cutover.ImportedSession) error
	// Update rewrites the user, times and run of the imported sessions
	// with those hashes; sessions started in Onit are left alone.
	Update(ctx context.Context, sessions []cutover.ImportedSession) error
	// Confirm sets the run of the imported sessions with those hashes,
	// the one change a re-run makes to a session Django kept as it was.
	Confirm(ctx context.Context, run int64, hashes []string) error
	// Stale returns up to limit hashes of imported sessions whose run is
	// not run: sessions no longer valid in Django.
	Stale(ctx context.Context, run int64, limit int) ([]string, error)
	// Delete removes the sessions with those hashes; absent ones are not
	// an error.
	Delete(ctx context.Context, hashes []string) error
}

// ImportRunRepository keeps the state of import runs.
type ImportRunRepository interface {
	// Latest returns the most recent run against source. NotFound when
	// there is none.
	Latest(ctx context.Context, source string) (cutover.Run, error)
	// Create stores r and sets its ID.
	Create(ctx context.Context, r *cutover.Run) error
	// Save writes r over the stored run with its ID. NotFound when absent.
	Save(ctx context.Context, r cutover.Run) error
}

// ImportProgress shows an import's progress to the person running it.
type ImportProgress interface {
	// Phase starts a phase that will handle about total rows (0: unknown).
	Phase(name string, total int64)
	// Advance counts n more rows of the current phase as handled.
	Advance(n int64)
	// Done ends the current phase.
	Done()
}
