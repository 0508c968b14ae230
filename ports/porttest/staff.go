package porttest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// StaffFixture is what the staff console's contract suite needs: the
// directory and, in Repos, the users, projects, members and audit log of
// the same storage.
type StaffFixture struct {
	Directory ports.StaffDirectory
	Repos     ports.Repos
	// UoW runs a transaction over the same storage; nil skips the case
	// that an audit entry rolls back with its transaction (the memory
	// twin's log is not part of its unit of work's snapshot).
	UoW ports.UnitOfWork
}

// StaffDirectory checks ports.StaffDirectory and ports.AuditLog. Cases
// isolate themselves with unique names and users, so the storage may be
// shared with other tests.
func StaffDirectory(t *testing.T, f StaffFixture) {
	t.Helper()
	ctx := context.Background()
	users := f.Repos.Users
	newUser := func(t *testing.T, name string) accounts.User {
		t.Helper()
		u := accountsUser(t, name)
		mustCreateUser(t, users, &u)
		return u
	}
	ids := func(us []accounts.User) []int64 {
		out := make([]int64, len(us))
		for i, u := range us {
			out[i] = u.ID
		}
		return out
	}

	t.Run("search matches email or name in any case, by ascending id", func(t *testing.T) {
		tag := randomHex(t, 5)
		a := newUser(t, "Zed "+tag+" Alpha")
		b := newUser(t, "Other")
		c := newUser(t, "ZED "+tag)
		tests := []struct {
			name  string
			query string
			want  []int64
		}{
			{"name substring, other case", "zed " + tag, []int64{a.ID, c.ID}},
			{"email substring in upper case", strings.ToUpper(b.EmailKey[len("porttest.") : len("porttest.")+12]), []int64{b.ID}},
			{"upper-case email as stored", b.Email, []int64{b.ID}},
			{"surrounding spaces", "  alpha  ", nil}, // checked below: contains a
			{"nothing matches", "no-such-" + tag, []int64{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := f.Directory.SearchUsers(ctx, tc.query, 0, 100)
				if err != nil {
					t.Fatalf("SearchUsers: %v", err)
				}
				if tc.want == nil {
					if !containsID(ids(got), a.ID) {
						t.Fatalf("SearchUsers(%q) = %v, want it to contain %d", tc.query, ids(got), a.ID)
					}
					return
				}
				if !equalIDs(ids(got), tc.want) {
					t.Fatalf("SearchUsers(%q) = %v, want %v", tc.query, ids(got), tc.want)
				}
			})
		}
	})

	t.Run("LIKE wildcards in the query are literal", func(t *testing.T) {
		tag := randomHex(t, 5)
		pct := newUser(t, "Rate 100% "+tag)
		plain := newUser(t, "Rate 1000 "+tag)
		under := newUser(t, "snake_"+tag)
		bang := newUser(t, "wow!"+tag)
		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"100% " + tag, []int64{pct.ID}},
			{"100_ " + tag, []int64{}},
			{"e_" + tag, []int64{under.ID}},
			{"!" + tag, []int64{bang.ID}},
		} {
			got, err := f.Directory.SearchUsers(ctx, tc.query, 0, 100)
			if err != nil {
				t.Fatalf("SearchUsers: %v", err)
			}
			if !equalIDs(ids(got), tc.want) {
				t.Errorf("SearchUsers(%q) = %v, want %v (plain %d)", tc.query, ids(got), tc.want, plain.ID)
			}
		}
	})

	t.Run("pages after an id, at most limit", func(t *testing.T) {
		tag := randomHex(t, 5)
		var want []int64
		for range 5 {
			want = append(want, newUser(t, "Pager "+tag).ID)
		}
		var got []int64
		after := int64(0)
		for page := 0; page < 10; page++ {
			us, err := f.Directory.SearchUsers(ctx, "pager "+tag, after, 2)
			if err != nil {
				t.Fatalf("SearchUsers: %v", err)
			}
			if len(us) > 2 {
				t.Fatalf("page of %d, limit 2", len(us))
			}
			if len(us) == 0 {
				break
			}
			got = append(got, ids(us)...)
			after = us[len(us)-1].ID
		}
		if !equalIDs(got, want) {
			t.Fatalf("paged = %v, want %v", got, want)
		}
		all, err := f.Directory.SearchUsers(ctx, "", want[1], 2)
		if err != nil {
			t.Fatalf("SearchUsers(empty): %v", err)
		}
		if len(all) != 2 || all[0].ID <= want[1] || all[0].ID >= all[1].ID {
			t.Fatalf("empty query after %d = %v, want the next two users by id", want[1], ids(all))
		}
	})

	t.Run("counts projects", func(t *testing.T) {
		u := newUser(t, "Counted")
		n, err := f.Directory.CountProjects(ctx, u.ID)
		if err != nil || n != 0 {
			t.Fatalf("CountProjects = %d, %v; want 0", n, err)
		}
		pf := ProjectsFixture{Repos: f.Repos}
		pf.newProject(t, u.ID)
		pf.newProject(t, u.ID)
		other := newUser(t, "Not counted")
		pf.newProject(t, other.ID)
		if n, err = f.Directory.CountProjects(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("CountProjects = %d, %v; want 2", n, err)
		}
		if n, err = f.Directory.CountProjects(ctx, 1<<62); err != nil || n != 0 {
			t.Fatalf("CountProjects(unknown) = %d, %v; want 0", n, err)
		}
	})

	audit := f.Repos.Audit
	at := time.Date(2030, 5, 6, 7, 8, 9, 123456000, time.UTC)
	appendEntry := func(t *testing.T, log ports.AuditLog, actor, target accounts.User, action accounts.AuditAction) accounts.AuditEntry {
		t.Helper()
		e, err := accounts.NewAuditEntry(actor, target, action, "detail", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := log.Append(ctx, &e); err != nil {
			t.Fatalf("Append: %v", err)
		}
		if e.ID <= 0 {
			t.Fatalf("Append set ID %d", e.ID)
		}
		return e
	}

	t.Run("audit entries list newest first, by target, before an id", func(t *testing.T) {
		staff, ann, bob := newUser(t, "Staff"), newUser(t, "Ann"), newUser(t, "Bob")
		e1 := appendEntry(t, audit, staff, ann, accounts.AuditDeactivate)
		e2 := appendEntry(t, audit, staff, bob, accounts.AuditRevokeSessions)
		e3 := appendEntry(t, audit, staff, ann, accounts.AuditReactivate)

		all, err := audit.List(ctx, ports.AuditQuery{Limit: 2})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(all) != 2 || all[0].ID != e3.ID || all[1].ID != e2.ID {
			t.Fatalf("List(limit 2) = %+v, want entries %d, %d", all, e3.ID, e2.ID)
		}
		if got := all[0]; got.ActorID != staff.ID || got.ActorEmail != staff.Email || got.TargetID != ann.ID ||
			got.TargetEmail != ann.Email || got.Action != accounts.AuditReactivate || got.Message != "detail" || !got.CreatedAt.Equal(at) {
			t.Fatalf("stored entry = %+v, want %+v", got, e3)
		}
		annOnly, err := audit.List(ctx, ports.AuditQuery{TargetID: ann.ID, Limit: 10})
		if err != nil {
			t.Fatalf("List(target): %v", err)
		}
		if len(annOnly) != 2 || annOnly[0].ID != e3.ID || annOnly[1].ID != e1.ID {
			t.Fatalf("List(target ann) = %+v, want %d, %d", annOnly, e3.ID, e1.ID)
		}
		older, err := audit.List(ctx, ports.AuditQuery{TargetID: ann.ID, BeforeID: e3.ID, Limit: 10})
		if err != nil {
			t.Fatalf("List(before): %v", err)
		}
		if len(older) != 1 || older[0].ID != e1.ID {
			t.Fatalf("List(before %d) = %+v, want %d", e3.ID, older, e1.ID)
		}
	})

	if f.UoW == nil {
		return
	}
	t.Run("an audit entry rolls back with its transaction", func(t *testing.T) {
		staff, target := newUser(t, "Staff"), newUser(t, "Target")
		boom := errors.New("boom")
		err := f.UoW.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			appendEntry(t, r.Audit, staff, target, accounts.AuditDeactivate)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Transact = %v, want the function's error", err)
		}
		got, err := audit.List(ctx, ports.AuditQuery{TargetID: target.ID, Limit: 10})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(got) != 0 {
			t.Fatalf("rolled-back entry visible: %+v", got)
		}
	})
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
