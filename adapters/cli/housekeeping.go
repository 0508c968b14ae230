package cli

import (
	"context"
	"fmt"
	"time"
)

// housekeepingCommand deletes what has expired. It is meant for a
// schedule (an ECS scheduled task, cron): safe on any instance, at any
// time, twice at once.
func housekeepingCommand() *command {
	return &command{
		name:    "housekeeping",
		summary: "delete expired sessions, idempotency records and password-reset tokens in bounded batches (run it from a schedule)",
		run: func(ctx context.Context, inv *invocation) error {
			h, release, err := inv.backend().Housekeeping(ctx)
			if err != nil {
				return err
			}
			defer release()
			rep, err := h.Run(ctx)
			// The counts are true also when one part failed: print them first.
			fmt.Fprintf(inv.stdio.Out, "deleted %d expired sessions, %d expired idempotency records and %d expired password resets in %s\n",
				rep.Sessions, rep.IdempotencyRecords, rep.PasswordResets, rep.Duration.Round(time.Millisecond))
			return err
		},
	}
}
