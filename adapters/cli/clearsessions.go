package cli

import (
	"context"
	"fmt"
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
