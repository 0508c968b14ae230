package cutover

import (
	"maps"
	"strings"
	"time"

	"github.com/onitapp/onit/domain/cutover"
)

// Why a row was not imported. The report counts each.
const (
	// Users.
	skipUnverifiable  = "unverifiable_hash" // a hash no Onit hasher verifies (md5, sha1, a custom hasher)
	skipCollision     = "collision"         // another Django user has the same email to Onit
	skipEmailTaken    = "email_taken"       // someone signed up in Onit with this email already
	skipChangedInOnit = "changed_in_onit"   // imported before and changed in Onit since: Onit wins
	skipInvalidEmail  = "invalid_email"     // not an address Onit accepts (Django allows blank emails)

	// Sessions.
	skipExpired         = "expired"                  // expired in Django (counted, not read)
	skipBadSignature    = "bad_signature"            // no secret key signed it
	skipMalformed       = "malformed"                // signed but unreadable
	skipAnonymous       = "anonymous"                // nobody is logged in to it
	skipUnknownUser     = "unknown_user"             // its user is not in Django's users table
	skipInactive        = "inactive"                 // its user cannot log in (is_active false)
	skipHashMismatch    = "hash_mismatch"            // the password changed since the login (Django's rule)
	skipUserNotImported = "user_not_imported"        // its user was skipped
	skipPasswordChanged = "password_changed_in_onit" // the Onit password differs from the one it was bound to
	skipExistsInOnit    = "exists_in_onit"           // an Onit session has the same hash (never expected)
)

// Tally keys. Counters of a scope ("users", "sessions") share its prefix.
const (
	keyRead        = ".read"
	keyImported    = ".imported"
	keyUpdated     = ".updated"
	keyUnchanged   = ".unchanged"
	keyRemoved     = ".removed" // users deactivated (deleted in Django), sessions revoked (gone from Django)
	keySkipped     = ".skipped."
	keyAlgorithm   = "users.algorithm."
	keyUnverified  = "users.unverifiable."
	keyNote        = "users.note."
	keyGoneKept    = "users.gone_kept"        // deleted in Django but changed in Onit: left active
	keyLiveAtStart = "sessions.live_at_start" // live sessions when the phase began (its progress total)
	scopeUsers     = "users"
	scopeSessions  = "sessions"
)

// maxAlgorithms bounds the distinct algorithm names a report lists; a
// source full of made-up names still gives a report of readable size.
const maxAlgorithms = 50

// Counts are one scope's numbers.
type Counts struct {
	Read, Imported, Updated, Unchanged int64
	// Removed: users deactivated because Django no longer has them;
	// sessions revoked because Django no longer has them valid.
	Removed int64
	// Skipped counts rows not imported, by reason.
	Skipped map[string]int64
}

// Verification is the pass that re-reads a sample of imported users from
// Onit and from Django after the import.
type Verification struct {
	Checked, Passed int
	// Problems describes each failed check (at most cutover.MaxListed).
	Problems []string
	// NotRun says why there was no verification (a dry run); empty when
	// it ran.
	NotRun string
}

// Report is what an import did (or, in a dry run, would do).
type Report struct {
	RunID  int64 // 0 in a dry run
	Source string
	DryRun bool
	// Resumed: this call continued an interrupted run; the counts cover
	// the whole run.
	Resumed bool
	// AbandonedRun is an interrupted run too old to resume (0: none).
	AbandonedRun int64
	StartedAt    time.Time
	FinishedAt   time.Time
	Users        Counts
	Sessions     Counts
	// Algorithms counts the verifiable hashes read, by algorithm;
	// Unverifiable the hashes no Onit hasher verifies, by algorithm.
	Algorithms   map[string]int64
	Unverifiable map[string]int64
	// Notes counts adjustments made to imported users (see mapUser).
	Notes map[string]int64
	// UsersGoneKept counts users deleted in Django that changed in Onit
	// since their import, so stayed as they are.
	UsersGoneKept int64
	// SessionsNotImported says why no session was imported (no secret
	// key); empty when sessions were.
	SessionsNotImported string
	// Collisions lists Django users sharing an email to Onit (at most
	// cutover.MaxListed groups); none of them is imported.
	Collisions   []cutover.Collision
	Verification Verification
}

// Duration is how long the run took, from its first start.
func (r Report) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

func (im *Importer) report(r *run, ver Verification) Report {
	rep := Report{
		RunID: r.ID, Source: r.Source, DryRun: r.dry, Resumed: r.resumed, AbandonedRun: r.abandoned,
		StartedAt: r.StartedAt, FinishedAt: *r.FinishedAt,
		Users: counts(r.Tally, scopeUsers), Sessions: counts(r.Tally, scopeSessions),
		Algorithms: withPrefix(r.Tally, keyAlgorithm), Unverifiable: withPrefix(r.Tally, keyUnverified),
		Notes: withPrefix(r.Tally, keyNote), UsersGoneKept: r.Tally[keyGoneKept],
		Collisions: r.Collisions, Verification: ver,
	}
	if r.dry {
		rep.RunID = 0
	}
	if im.codec == nil {
		rep.SessionsNotImported = "no secret key given (--secret-key-file): Django's session data cannot be verified without it"
	}
	return rep
}

func counts(tally map[string]int64, scope string) Counts {
	return Counts{
		Read: tally[scope+keyRead], Imported: tally[scope+keyImported], Updated: tally[scope+keyUpdated],
		Unchanged: tally[scope+keyUnchanged], Removed: tally[scope+keyRemoved],
		Skipped: withPrefix(tally, scope+keySkipped),
	}
}

func withPrefix(tally map[string]int64, prefix string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range tally {
		if name, ok := strings.CutPrefix(k, prefix); ok && v != 0 {
			out[name] = v
		}
	}
	return out
}

// countAlgorithm counts under prefix+alg, folding names beyond
// maxAlgorithms distinct ones into "(other)".
func countAlgorithm(tally map[string]int64, prefix, alg string) {
	if _, seen := tally[prefix+alg]; !seen && len(withPrefix(tally, prefix)) >= maxAlgorithms {
		alg = "(other)"
	}
	tally[prefix+alg]++
}

// cloneTally copies a tally.
func cloneTally(t map[string]int64) map[string]int64 { return maps.Clone(t) }
