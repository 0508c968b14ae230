package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/onitapp/onit/app/cutover"
	dc "github.com/onitapp/onit/domain/cutover"
)

// importReportJSON is the --format json report; its field names are the
// contract with scripts that read it.
type importReportJSON struct {
	RunID        int64            `json:"run_id"`
	Source       string           `json:"source"`
	DryRun       bool             `json:"dry_run"`
	Resumed      bool             `json:"resumed"`
	AbandonedRun int64            `json:"abandoned_run,omitempty"`
	StartedAt    time.Time        `json:"started_at"`
	FinishedAt   time.Time        `json:"finished_at"`
	DurationMS   int64            `json:"duration_ms"`
	Users        usersJSON        `json:"users"`
	Sessions     sessionsJSON     `json:"sessions"`
	Collisions   []collisionJSON  `json:"collisions"`
	Verification verificationJSON `json:"verification"`
}

type usersJSON struct {
	Read         int64            `json:"read"`
	Imported     int64            `json:"imported"`
	Updated      int64            `json:"updated"`
	Unchanged    int64            `json:"unchanged"`
	Deactivated  int64            `json:"deactivated"`
	GoneKept     int64            `json:"deleted_in_django_kept"`
	Skipped      map[string]int64 `json:"skipped"`
	Algorithms   map[string]int64 `json:"algorithms"`
	Unverifiable map[string]int64 `json:"unverifiable_algorithms"`
	Notes        map[string]int64 `json:"notes"`
}

type sessionsJSON struct {
	Read        int64            `json:"read"`
	Imported    int64            `json:"imported"`
	Updated     int64            `json:"updated"`
	Unchanged   int64            `json:"unchanged"`
	Revoked     int64            `json:"revoked"`
	Skipped     map[string]int64 `json:"skipped"`
	NotImported string           `json:"not_imported,omitempty"`
}

type collisionJSON struct {
	EmailKey  string  `json:"email_key"`
	SourceIDs []int64 `json:"source_ids"`
}

type verificationJSON struct {
	Checked  int      `json:"checked"`
	Passed   int      `json:"passed"`
	Problems []string `json:"problems"`
	NotRun   string   `json:"not_run,omitempty"`
}

func writeImportJSON(w io.Writer, r cutover.Report) error {
	out := importReportJSON{
		RunID: r.RunID, Source: r.Source, DryRun: r.DryRun, Resumed: r.Resumed, AbandonedRun: r.AbandonedRun,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, DurationMS: r.Duration().Milliseconds(),
		Users: usersJSON{Read: r.Users.Read, Imported: r.Users.Imported, Updated: r.Users.Updated,
			Unchanged: r.Users.Unchanged, Deactivated: r.Users.Removed, GoneKept: r.UsersGoneKept,
			Skipped: r.Users.Skipped, Algorithms: r.Algorithms, Unverifiable: r.Unverifiable, Notes: r.Notes},
		Sessions: sessionsJSON{Read: r.Sessions.Read, Imported: r.Sessions.Imported, Updated: r.Sessions.Updated,
			Unchanged: r.Sessions.Unchanged, Revoked: r.Sessions.Removed, Skipped: r.Sessions.Skipped,
			NotImported: r.SessionsNotImported},
		Collisions: []collisionJSON{},
		Verification: verificationJSON{Checked: r.Verification.Checked, Passed: r.Verification.Passed,
			Problems: append([]string{}, r.Verification.Problems...), NotRun: r.Verification.NotRun},
	}
	for _, c := range r.Collisions {
		out.Collisions = append(out.Collisions, collisionJSON(c))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeImportText(w io.Writer, r cutover.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Import from %s\n", r.Source)
	switch {
	case r.DryRun:
		b.WriteString("DRY RUN: nothing was written; this is what a run would do.\n")
	case r.Resumed:
		fmt.Fprintf(&b, "Run %d, resumed after an interruption (counts cover the whole run).\n", r.RunID)
	default:
		fmt.Fprintf(&b, "Run %d.\n", r.RunID)
	}
	if r.AbandonedRun != 0 {
		fmt.Fprintf(&b, "Run %d was interrupted too long ago to resume; this run started over.\n", r.AbandonedRun)
	}
	fmt.Fprintf(&b, "Took %s (%s to %s).\n\n", r.Duration().Round(time.Millisecond),
		r.StartedAt.Format(time.RFC3339), r.FinishedAt.Format(time.RFC3339))

	u := r.Users
	fmt.Fprintf(&b, "Users: %d read, %d imported, %d updated, %d unchanged, %d deactivated (deleted in Django)\n",
		u.Read, u.Imported, u.Updated, u.Unchanged, u.Removed)
	writeCounts(&b, "skipped", u.Skipped)
	writeCounts(&b, "password hashes", r.Algorithms)
	if len(r.Algorithms) > 0 {
		b.WriteString("    (every hash but pbkdf2_sha256 at the configured cost is upgraded at the user's next login)\n")
	}
	writeCounts(&b, "unverifiable hashes (not imported: these users must reset their password in Django first, or sign up again)", r.Unverifiable)
	writeCounts(&b, "adjusted", r.Notes)
	if r.UsersGoneKept > 0 {
		fmt.Fprintf(&b, "  deleted in Django but changed in Onit since, left as they are: %d\n", r.UsersGoneKept)
	}
	s := r.Sessions
	fmt.Fprintf(&b, "\nSessions: %d read, %d imported, %d updated, %d unchanged, %d revoked (no longer valid in Django)\n",
		s.Read, s.Imported, s.Updated, s.Unchanged, s.Removed)
	writeCounts(&b, "skipped", s.Skipped)
	if r.SessionsNotImported != "" {
		fmt.Fprintf(&b, "  not imported: %s\n", r.SessionsNotImported)
	}
	if len(r.Collisions) > 0 {
		b.WriteString("\nEmail collisions (Django users with the same email to Onit; none of them imported):\n")
		for _, c := range r.Collisions {
			ids := make([]string, len(c.SourceIDs))
			for i, id := range c.SourceIDs {
				ids[i] = fmt.Sprint(id)
			}
			fmt.Fprintf(&b, "  %s: Django users %s\n", c.EmailKey, strings.Join(ids, ", "))
		}
		if n := u.Skipped["collision"]; n > int64(countIDs(r.Collisions)) {
			fmt.Fprintf(&b, "  (%d users in all; the list is cut at %d groups)\n", n, len(r.Collisions))
		}
	}
	v := r.Verification
	switch {
	case v.NotRun != "":
		fmt.Fprintf(&b, "\nVerification: not run (%s)\n", v.NotRun)
	case len(v.Problems) == 0:
		fmt.Fprintf(&b, "\nVerification: %d of %d sampled users check out (hash copied exactly and verifiable, email as in Django)\n", v.Passed, v.Checked)
	default:
		fmt.Fprintf(&b, "\nVerification: %d of %d sampled users FAILED:\n", v.Checked-v.Passed, v.Checked)
		for _, p := range v.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCounts prints "  label: a 3, b 1", largest first.
func writeCounts(b *strings.Builder, label string, m map[string]int64) {
	if len(m) == 0 {
		return
	}
	keys := slices.SortedFunc(maps.Keys(m), func(x, y string) int {
		return cmp.Or(cmp.Compare(m[y], m[x]), cmp.Compare(x, y))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	fmt.Fprintf(b, "  %s: %s\n", label, strings.Join(parts, ", "))
}

func countIDs(cs []dc.Collision) int {
	n := 0
	for _, c := range cs {
		n += len(c.SourceIDs)
	}
	return n
}
