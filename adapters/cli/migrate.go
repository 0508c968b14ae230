package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/onitapp/onit/migrations"
)

func migrateCommand() *command {
	var goMigration bool
	var dir string
	return &command{
		name:     "migrate",
		synopsis: "up | down | status | create NAME [--go]",
		summary:  "apply, roll back or list migrations, or create a new one",
		args:     1,
		variadic: true,
		flags: func(fs *flagSet) {
			fs.BoolVar(&goMigration, "go", false, "with create: make a Go (bulk data) migration instead of SQL")
			fs.StringVar(&dir, "dir", "migrations", "with create: the migrations package folder (SQL files go in its sql/)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			action, rest := inv.args[0], inv.args[1:]
			if action == "create" {
				if len(rest) != 1 {
					return inv.usageError("create wants exactly one NAME")
				}
				path, err := inv.backend().CreateMigration(dir, rest[0], goMigration)
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.stdio.Out, "created %s\n", path)
				return nil
			}
			switch {
			case action != "up" && action != "down" && action != "status":
				return inv.usageError("unknown action %q (want up, down, status or create)", action)
			case len(rest) > 0:
				return inv.usageError("unexpected argument %q", rest[0])
			}
			m, release, err := inv.backend().Migrations(ctx)
			if err != nil {
				return err
			}
			defer release()
			switch action {
			case "up":
				return migrateUp(ctx, inv.stdio.Out, m)
			case "down":
				res, err := m.Down(ctx)
				if errors.Is(err, migrations.ErrNothingToRollBack) {
					fmt.Fprintln(inv.stdio.Out, "no migration to roll back")
					return nil
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.stdio.Out, "rolled back %05d %s (%s)\n", res.Version, res.Name, res.Duration.Round(time.Millisecond))
				return nil
			default:
				return migrateStatus(ctx, inv.stdio.Out, m)
			}
		},
	}
}

// migrateUp prints each migration as it starts and as it ends, so a long
// one is visibly alive; data migrations say how many rows they changed.
func migrateUp(ctx context.Context, w io.Writer, m Migrator) error {
	res, err := m.UpWithProgress(ctx, func(p migrations.Progress) { fmt.Fprintln(w, p.String()) })
	if err != nil {
		return err
	}
	if len(res) == 0 {
		fmt.Fprintln(w, "no migrations to apply")
	}
	return nil
}

func migrateStatus(ctx context.Context, w io.Writer, m Migrator) error {
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
	for _, s := range st {
		state := "applied " + s.AppliedAt.Format(time.RFC3339)
		if s.Pending {
			state = "pending"
		}
		fmt.Fprintf(tw, "%05d\t%s\t%s\n", s.Version, s.Name, state)
	}
	return tw.Flush()
}
