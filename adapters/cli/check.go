package cli

import "context"

// checkCommand is Django's `check [--deploy] [--fail-level]`. The backend
// does not boot the application: an unreachable server is a finding in the
// report, not a start-up failure.
func checkCommand() *command {
	var deploy bool
	var format, failLevel string
	return &command{
		name:     "check",
		synopsis: "[--deploy] [--format text|json] [--fail-level LEVEL]",
		summary:  "system checks; --deploy adds the deployment checklist",
		flags: func(fs *flagSet) {
			fs.BoolVar(&deploy, "deploy", false, "also run the deployment checklist (Django's check --deploy)")
			fs.StringVar(&format, "format", "text", "text (Django's layout) or json (for CI)")
			fs.StringVar(&failLevel, "fail-level", "error", "exit 1 when an issue at or above this level remains: debug, info, warning, error or critical")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if format != "text" && format != "json" {
				return inv.usageError("--format: unknown format %q (want text or json)", format)
			}
			rep, err := inv.backend().Check(ctx, deploy, failLevel)
			if err != nil {
				return err
			}
			out, write := inv.stdio.Out, rep.WriteText
			switch {
			case format == "json":
				write = rep.WriteJSON
			case rep.Failed():
				out = inv.stdio.Err // as Django: a failing report is an error message
			}
			if err := write(out); err != nil {
				return err
			}
			if rep.Failed() {
				return &exitStatus{code: ExitFailure}
			}
			return nil
		},
	}
}
