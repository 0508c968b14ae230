package cli

import (
	"context"
	"fmt"

	"github.com/onitapp/onit/domain"
)

// clearSessionsCommand is Django's clearsessions; run it from a scheduled
// task.
func clearSessionsCommand() *command {
	return &command{
		name:    "clearsessions",
		summary: "delete expired sessions (run it daily)",
		run: func(ctx context.Context, inv *invocation) error {
			svc, _, release, err := inv.backend().Accounts(ctx)
			if err != nil {
				return err
			}
			defer release()
			n, err := svc.ClearExpiredSessions(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(inv.stdio.Out, "deleted %d expired sessions\n", n)
			return nil
		},
	}
}

// revokeSessionsCommand ends every session of a user at once (a stolen
// laptop, a departing employee); --deactivate also refuses their future
// logins. Every running instance refuses the sessions within a second.
func revokeSessionsCommand() *command {
	var deactivate bool
	return &command{
		name:     "revokesessions",
		synopsis: "EMAIL [--deactivate]",
		summary:  "end every session of a user at once, optionally deactivating them",
		args:     1,
		flags: func(fs *flagSet) {
			fs.BoolVar(&deactivate, "deactivate", false, "also mark the user inactive, so they cannot log in again")
		},
		run: func(ctx context.Context, inv *invocation) error {
			email := inv.args[0]
			svc, cat, release, err := inv.backend().Accounts(ctx)
			if err != nil {
				return err
			}
			defer release()
			n, err := svc.RevokeUserSessionsByEmail(ctx, email, deactivate)
			if domain.IsKind(err, domain.KindNotFound) {
				return fmt.Errorf("user %q does not exist", email)
			}
			if err != nil {
				return describe(cat, err)
			}
			what := "revoked"
			if deactivate {
				what = "revoked and the user deactivated"
			}
			fmt.Fprintf(inv.stdio.Out, "%d sessions of '%s' %s.\n", n, email, what)
			return nil
		},
	}
}
