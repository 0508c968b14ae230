// Package cutover holds what moving from the Django backend (onitweb) to
// Onit is about: the Django rows as read, the link between an imported
// user and its Django row, and the durable state of an import run, so an
// interrupted run resumes where it stopped.
package cutover

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
)

// Errors of reading Django's sessions. They reach operators as reasons in
// an import report, never HTTP clients.
var (
	// ErrBadSignature: no secret key signed the session data (a forged or
	// corrupted row, or the wrong --secret-key-file).
	ErrBadSignature = domain.E(domain.KindInvalid, "cutover.bad_signature")
	// ErrMalformedSession: the signature holds but the data is not a
	// Django session (not base64, not zlib, not a JSON object).
	ErrMalformedSession = domain.E(domain.KindInvalid, "cutover.malformed_session")
)

// SourceUser is one row of Django's users table (auth_user or a custom
// AUTH_USER_MODEL) as read, before any of Onit's rules apply. Columns the
// table does not have are zero, except the flags and dates noted.
type SourceUser struct {
	ID int64
	// Email as stored.
	Email string
	// Name is a single display-name column of a custom user model; empty
	// when the table has first and last names instead.
	Name      string
	FirstName string
	LastName  string
	// Username is Django's login name, the display name of last resort.
	Username string
	// Password is Django's encoded hash, copied as it is.
	Password    string
	IsActive    bool // true when the table has no such column (AbstractBaseUser's default)
	IsStaff     bool
	IsSuperuser bool
	// DateJoined is zero when the table has no such column.
	DateJoined time.Time
	LastLogin  *time.Time
	// Language as stored (e.g. "de", "pt-br"); empty when not mapped.
	Language string
}

// SourceSession is one row of django_session: the key is what the browser
// holds in its sessionid cookie, the data is signed by Django.
type SourceSession struct {
	Key        string
	Data       string
	ExpireDate time.Time
}

// Login is what a verified Django session says about its user.
type Login struct {
	// UserID is _auth_user_id as stored: the user's primary key as text.
	// Empty for a session nobody logged in to.
	UserID string
	// AuthHash is _auth_user_hash, Django's HMAC of the user's password
	// hash at login: a password change since then ends the session.
	AuthHash string
	// SignedAt is when Django last saved the session (the signature's
	// timestamp); Onit keeps it as the session's creation time, the nearest
	// fact Django stores.
	SignedAt time.Time
}

// ImportedUser is an Onit user together with its link to the Django row it
// came from.
type ImportedUser struct {
	User accounts.User
	// SourceID is the Django primary key; 0 for users who signed up in Onit.
	SourceID int64
	// Fingerprint is Fingerprint(User) as of the last import, so a later
	// run tells a change made in Onit since (a login, a new password) from
	// a change made in Django.
	Fingerprint string
}

// Fingerprint digests the fields an import writes, so two users with the
// same fingerprint need no update. Times count to the microsecond, what
// the database keeps.
func Fingerprint(u accounts.User) string {
	h := sha256.New()
	for _, s := range []string{u.Email, u.EmailKey, u.Name, u.PasswordHash, u.Language} {
		writeField(h, []byte(s))
	}
	var flags [3]byte
	for i, b := range []bool{u.IsActive, u.IsStaff, u.IsSuperuser} {
		if b {
			flags[i] = 1
		}
	}
	writeField(h, flags[:])
	writeTime(h, &u.DateJoined)
	writeTime(h, u.LastLogin)
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes a length-prefixed field, so ("ab","c") and ("a","bc")
// differ.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func writeTime(h hash.Hash, t *time.Time) {
	if t == nil {
		writeField(h, nil)
		return
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UTC().Truncate(time.Microsecond).UnixMicro()))
	writeField(h, b[:])
}

// ImportedSession is an Onit session copied from a Django session, with
// the run that last found it valid.
type ImportedSession struct {
	Session accounts.Session
	// Run is the import run that last confirmed the Django session; a
	// later run that does not confirm it again removes it.
	Run int64
}

// Phase is a step of an import run, in order.
type Phase string

// The phases of a run.
const (
	PhaseUsers    Phase = "users"    // create and update users
	PhaseGone     Phase = "gone"     // deactivate users deleted in Django
	PhaseSessions Phase = "sessions" // copy live sessions
	PhaseStale    Phase = "stale"    // remove imported sessions Django no longer has
	PhaseDone     Phase = "done"
)

// Run is the durable state of one import: where it is, and what it has
// counted so far, saved with every batch so an interrupted run resumes
// without losing its report.
type Run struct {
	ID int64
	// Source names the Django database and tables; a run resumes only
	// against the same source.
	Source string
	Phase  Phase
	// AfterUserID and AfterSessionKey are the keyset cursors of the
	// phases that walk users (users, gone) and sessions.
	AfterUserID     int64
	AfterSessionKey string
	// Tally holds the counts of the report, keyed by counter name.
	Tally map[string]int64
	// Collisions are groups of Django rows whose emails are the same to
	// Onit; at most MaxListed are kept.
	Collisions []Collision
	// Sample holds Django IDs of imported users that the verification pass
	// re-reads, at most SampleSize.
	Sample     []int64
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// MaxListed bounds the lists a report carries, so a source with a million
// problems still gives a report of readable size; the counts stay exact.
const MaxListed = 100

// SampleSize is how many imported users the verification pass re-reads.
const SampleSize = 200

// Collision is a group of Django users whose emails normalise to the same
// Onit login name.
type Collision struct {
	EmailKey  string
	SourceIDs []int64
}
