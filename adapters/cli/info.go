package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"
)

func settingsCommand() *command {
	var changed bool
	return &command{
		name:     "settings",
		synopsis: "[--changed]",
		summary:  "print the effective settings, secrets redacted; ### marks non-defaults",
		flags: func(fs *flagSet) {
			fs.BoolVar(&changed, "changed", false, "print only settings that differ from the environment's defaults")
		},
		run: func(_ context.Context, inv *invocation) error {
			return inv.backend().PrintSettings(inv.stdio.Out, changed)
		},
	}
}

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version: the VCS revision and time the binary was built from",
		run: func(_ context.Context, inv *invocation) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				fmt.Fprintln(inv.stdio.Out, "onit (no build information)")
				return nil
			}
			writeVersion(inv.stdio.Out, bi)
			return nil
		},
	}
}

// writeVersion prints the VCS stamp Go records at build time: revision,
// commit time and whether the tree had uncommitted changes. `go run` and
// builds with -buildvcs=false record none, and say so.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		fmt.Fprintln(w, "onit (built without VCS information: use `go tool task build`)")
	} else {
		line := "onit " + rev
		if t, err := time.Parse(time.RFC3339, settings["vcs.time"]); err == nil {
			line += " (" + t.UTC().Format(time.RFC3339) + ")"
		}
		if settings["vcs.modified"] == "true" {
			line += " with uncommitted changes"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%s", "built with "+bi.GoVersion)
	if tags := settings["-tags"]; tags != "" {
		fmt.Fprintf(w, ", tags %s", tags)
	}
	fmt.Fprintln(w)
}
