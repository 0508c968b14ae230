package cli

import "context"

func serveCommand() *command {
	var migrate bool
	return &command{
		name:     "serve",
		synopsis: "[--migrate]",
		summary:  "run the HTTP server (--migrate applies pending migrations first)",
		flags: func(fs *flagSet) {
			fs.BoolVar(&migrate, "migrate", false, "apply pending migrations before serving (production does not by default)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			return inv.backend().Serve(ctx, migrate)
		},
	}
}
