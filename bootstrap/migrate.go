package bootstrap

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/onitapp/onit/migrations"
)

func runMigrate(ctx context.Context, args []string, stdio Stdio) int {
	fs := newFlags("migrate", "up | down | status | create NAME [--go]", stdio)
	goMigration := fs.Bool("go", false, "with create: make a Go (bulk data) migration instead of SQL")
	dir := fs.String("dir", "migrations/sql", "with create: the folder of migration files")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return exitUsage
	}
	if rest[0] == "create" {
		if len(rest) != 2 {
			fmt.Fprintln(stdio.Err, "onit migrate create: want exactly one NAME")
			return exitUsage
		}
		kind := "sql"
		if *goMigration {
			kind = "go"
		}
		path, err := migrations.Create(*dir, rest[1], kind)
		if err != nil {
			fmt.Fprintf(stdio.Err, "onit migrate create: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdio.Out, "created %s\n", path)
		return exitOK
	}
	s, db, closeDB, code := openDatabase(ctx, stdio, "migrate", nil)
	if code != exitOK {
		return code
	}
	defer closeDB()
	r, err := migrations.NewRunner(db.DB, NewLogger(s.Log, stdio.Err))
	if err != nil {
		fmt.Fprintf(stdio.Err, "onit migrate: %v\n", err)
		return exitFailure
	}
	switch rest[0] {
	case "up":
		res, err := r.Up(ctx)
		for _, m := range res {
			fmt.Fprintf(stdio.Out, "applied %05d %s (%s)\n", m.Version, m.Name, m.Duration.Round(time.Millisecond))
		}
		if err != nil {
			fmt.Fprintf(stdio.Err, "onit migrate up: %v\n", err)
			return exitFailure
		}
		if len(res) == 0 {
			fmt.Fprintln(stdio.Out, "no migrations to apply")
		}
	case "down":
		res, err := r.Down(ctx)
		if err != nil {
			fmt.Fprintf(stdio.Err, "onit migrate down: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdio.Out, "rolled back %05d %s\n", res.Version, res.Name)
	case "status":
		st, err := r.Status(ctx)
		if err != nil {
			fmt.Fprintf(stdio.Err, "onit migrate status: %v\n", err)
			return exitFailure
		}
		tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
		for _, m := range st {
			state := "applied " + m.AppliedAt.Format(time.RFC3339)
			if m.Pending {
				state = "pending"
			}
			fmt.Fprintf(tw, "%05d\t%s\t%s\n", m.Version, m.Name, state)
		}
		_ = tw.Flush()
	default:
		fmt.Fprintf(stdio.Err, "onit migrate: unknown action %q\n", rest[0])
		fs.Usage()
		return exitUsage
	}
	return exitOK
}
