package porttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
)

// MemberRepository checks ports.MemberRepository: add (twice is
// ErrAlreadyMember, to an absent project NotFound), roles and owners, get,
// set role, list paged by user ID, and remove.
func MemberRepository(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	t.Run("add, roles, get, set role, list, remove", func(t *testing.T) {
		owner, a, b := f.NewUser(t), f.NewUser(t), f.NewUser(t)
		p := f.newProject(t, owner)
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: a, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: a, Role: dp.RoleOwner, JoinedAt: base})
		if !errors.Is(err, dp.ErrAlreadyMember) {
			t.Fatalf("second Add = %v, want ErrAlreadyMember", err)
		}
		err = r.Members.Add(ctx, dp.Member{ProjectID: 1 << 62, UserID: a, Role: dp.RoleOwner, JoinedAt: base})
		assertKind(t, "Add to absent project", err, domain.KindNotFound)

		roles, owners, err := r.Members.Roles(ctx, p.ID, owner, a, b)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]dp.Role{owner: dp.RoleOwner, a: dp.RoleMember}
		if fmt.Sprint(roles) != fmt.Sprint(want) || !slices.Equal(owners, []int64{owner}) {
			t.Fatalf("Roles = %v %v, want %v [%d]", roles, owners, want, owner)
		}
		m, err := r.Members.Get(ctx, p.ID, a)
		if err != nil || m.Role != dp.RoleMember || m.Email == "" || !m.JoinedAt.Equal(base) {
			t.Fatalf("Get = %+v, %v", m, err)
		}
		if err := r.Members.SetRole(ctx, p.ID, a, dp.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if _, owners, _ := r.Members.Roles(ctx, p.ID); !slices.Equal(owners, sorted(owner, a)) {
			t.Fatalf("owners after SetRole = %v", owners)
		}
		if err := r.Members.Add(ctx, dp.Member{ProjectID: p.ID, UserID: b, Role: dp.RoleMember, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
		first, _ := r.Members.List(ctx, p.ID, 0, 2)
		rest, _ := r.Members.List(ctx, p.ID, first[len(first)-1].UserID, 2)
		var got []int64
		for _, m := range append(first, rest...) {
			got = append(got, m.UserID)
		}
		if !slices.Equal(got, sorted(owner, a, b)) {
			t.Fatalf("List walk = %v", got)
		}
		if err := r.Members.Remove(ctx, p.ID, b); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"Remove absent":  r.Members.Remove(ctx, p.ID, b),
			"SetRole absent": r.Members.SetRole(ctx, p.ID, b, dp.RoleOwner),
		} {
			if !errors.Is(err, dp.ErrMemberNotFound) {
				t.Errorf("%s = %v, want ErrMemberNotFound", name, err)
			}
		}
		if _, err := r.Members.Get(ctx, p.ID, b); !errors.Is(err, dp.ErrMemberNotFound) {
			t.Errorf("Get absent = %v", err)
		}
	})
}

func sorted(ids ...int64) []int64 { slices.Sort(ids); return ids }
