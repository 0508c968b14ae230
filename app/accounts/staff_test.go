package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// keyTranslator renders a message as its key, enough to see which was used.
type keyTranslator struct{}

func (keyTranslator) T(_, key string, _ map[string]any) string { return key }

// staffFixture is the accounts fixture with the console and resets on.
type staffFixture struct {
	*fixture
	audit  *memory.AuditLog
	outbox *memory.Outbox
	staff  accounts.User
}

func newStaffFixture(t *testing.T) *staffFixture {
	t.Helper()
	f := newFixture(t)
	store := memory.NewProjectsStore(f.users)
	sf := &staffFixture{fixture: f, audit: memory.NewAuditLog(), outbox: memory.NewOutbox()}
	f.uow = &memoryUnitOfWork{repos: ports.Repos{Users: f.users, Sessions: f.sessions, Audit: sf.audit,
		PasswordResets: memory.NewPasswordResetRepository(), Outbox: sf.outbox}}
	f.build()
	f.svc.UseStaffConsole(memory.NewStaffDirectory(f.users, store), sf.audit, store.Projects())
	f.svc.UsePasswordResets(appaccounts.ResetConfig{Age: time.Hour, PublicURL: "https://onit.test"}, memory.NewPasswordResetRepository(), keyTranslator{})
	staff, err := f.svc.CreateSuperuser(context.Background(), "staff@x.com", "Staff", goodPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	sf.staff = staff
	return sf
}

func (f *staffFixture) entries(t *testing.T) []accounts.AuditEntry {
	t.Helper()
	es, err := f.audit.List(context.Background(), ports.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestStaffConsoleIsNotFoundForOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStaffFixture(t)
	member := f.register(t, "member@x.com")
	inactiveStaff := f.staff
	inactiveStaff.IsActive = false
	for _, actor := range []struct {
		name string
		u    accounts.User
	}{{"not staff", member}, {"inactive staff", inactiveStaff}} {
		t.Run(actor.name, func(t *testing.T) {
			calls := map[string]error{}
			_, _, calls["search"] = f.svc.SearchUsers(ctx, actor.u, "", 0, 0)
			_, calls["detail"] = f.svc.StaffUserDetail(ctx, actor.u, member.ID)
			_, calls["deactivate"] = f.svc.DeactivateUser(ctx, actor.u, member.ID)
			calls["reactivate"] = f.svc.ReactivateUser(ctx, actor.u, member.ID)
			_, calls["revoke"] = f.svc.RevokeUserSessionsAsStaff(ctx, actor.u, member.ID)
			calls["reset"] = f.svc.SendPasswordResetAsStaff(ctx, actor.u, member.ID)
			_, _, calls["audit"] = f.svc.StaffAuditLog(ctx, actor.u, 0, 0, 0)
			for name, err := range calls {
				if !domain.IsKind(err, domain.KindNotFound) {
					t.Errorf("%s: %v, want NotFound", name, err)
				}
			}
		})
	}
	if es := f.entries(t); len(es) != 0 {
		t.Fatalf("audit entries written for refused calls: %+v", es)
	}
}

func TestStaffDeactivateAndReactivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStaffFixture(t)
	f.register(t, "ada@x.com")
	l1, l2 := f.login(t, "ada@x.com"), f.login(t, "ada@x.com")
	ada := l1.User

	n, err := f.svc.DeactivateUser(ctx, f.staff, ada.ID)
	if err != nil || n != 2 {
		t.Fatalf("DeactivateUser = %d, %v; want 2 sessions ended", n, err)
	}
	for _, l := range []appaccounts.Login{l1, l2} {
		if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
			t.Errorf("Authenticate after deactivation: %v, want ErrSessionInvalid", err)
		}
	}
	if _, err := f.svc.Login(ctx, appaccounts.LoginInput{Email: "ada@x.com", Password: goodPassword, ClientAddr: "192.0.2.1"}); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("Login of a deactivated user: %v, want ErrBadCredentials", err)
	}
	detail, err := f.svc.StaffUserDetail(ctx, f.staff, ada.ID)
	if err != nil || detail.User.IsActive || detail.Sessions != 0 {
		t.Fatalf("detail = %+v, %v; want inactive with no sessions", detail, err)
	}
	if err := f.svc.SendPasswordResetAsStaff(ctx, f.staff, ada.ID); !errors.Is(err, accounts.ErrResetInactive) {
		t.Fatalf("reset for an inactive user: %v, want ErrResetInactive", err)
	}

	if err := f.svc.ReactivateUser(ctx, f.staff, ada.ID); err != nil {
		t.Fatalf("ReactivateUser: %v", err)
	}
	f.login(t, "ada@x.com")

	es := f.entries(t)
	if len(es) != 2 || es[0].Action != accounts.AuditReactivate || es[1].Action != accounts.AuditDeactivate ||
		es[1].ActorID != f.staff.ID || es[1].TargetID != ada.ID || es[1].TargetEmail != "ada@x.com" || es[1].Message != "2 sessions ended" {
		t.Fatalf("audit entries = %+v, want deactivate (2 sessions) then reactivate by staff on ada", es)
	}
}

func TestStaffCannotDeactivateThemself(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStaffFixture(t)
	l := f.login(t, "staff@x.com")
	if _, err := f.svc.DeactivateUser(ctx, f.staff, f.staff.ID); !errors.Is(err, accounts.ErrSelfDeactivate) {
		t.Fatalf("DeactivateUser(self): %v, want ErrSelfDeactivate", err)
	}
	if _, _, err := f.svc.Authenticate(ctx, l.Token); err != nil {
		t.Fatalf("own session after a refused self-deactivation: %v", err)
	}
	if es := f.entries(t); len(es) != 0 {
		t.Fatalf("audit entries = %+v, want none", es)
	}
}

func TestStaffRevokeSessionsAndReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStaffFixture(t)
	f.register(t, "ada@x.com")
	l := f.login(t, "ada@x.com")

	n, err := f.svc.RevokeUserSessionsAsStaff(ctx, f.staff, l.User.ID)
	if err != nil || n != 1 {
		t.Fatalf("RevokeUserSessionsAsStaff = %d, %v; want 1", n, err)
	}
	if _, _, err := f.svc.Authenticate(ctx, l.Token); !errors.Is(err, accounts.ErrSessionInvalid) {
		t.Fatalf("Authenticate after revocation: %v", err)
	}
	f.login(t, "ada@x.com") // still active

	if err := f.svc.SendPasswordResetAsStaff(ctx, f.staff, l.User.ID); err != nil {
		t.Fatalf("SendPasswordResetAsStaff: %v", err)
	}
	pending := f.outbox.Pending()
	if len(pending) != 1 || pending[0].Message.To != "ada@x.com" {
		t.Fatalf("outbox = %+v, want one message to ada", pending)
	}
	if _, err := f.svc.StaffUserDetail(ctx, f.staff, 1<<40); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("detail of an unknown user: %v, want NotFound", err)
	}
	if _, err := f.svc.RevokeUserSessionsAsStaff(ctx, f.staff, 1<<40); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("revoke for an unknown user: %v, want NotFound", err)
	}

	page, more, err := f.svc.StaffAuditLog(ctx, f.staff, l.User.ID, 0, 1)
	if err != nil || !more || len(page) != 1 || page[0].Action != accounts.AuditPasswordReset {
		t.Fatalf("audit page 1 = %+v, more %v, %v; want the reset and more", page, more, err)
	}
	page, more, err = f.svc.StaffAuditLog(ctx, f.staff, l.User.ID, page[0].ID, 1)
	if err != nil || more || len(page) != 1 || page[0].Action != accounts.AuditRevokeSessions {
		t.Fatalf("audit page 2 = %+v, more %v, %v; want the revocation, last", page, more, err)
	}
	if _, _, err := f.svc.StaffAuditLog(ctx, f.staff, 0, 0, appaccounts.StaffMaxLimit+1); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("limit over the maximum: %v, want Invalid", err)
	}
}

func TestStaffSearchUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStaffFixture(t)
	a := f.register(t, "ann@x.com")
	b := f.register(t, "anna@y.com")
	f.register(t, "bob@z.com")
	got, more, err := f.svc.SearchUsers(ctx, f.staff, "ANN", 0, 1)
	if err != nil || !more || len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("page 1 = %+v, more %v, %v; want ann and more", got, more, err)
	}
	got, more, err = f.svc.SearchUsers(ctx, f.staff, "ANN", got[0].ID, 1)
	if err != nil || more || len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("page 2 = %+v, more %v, %v; want anna, last", got, more, err)
	}
}
