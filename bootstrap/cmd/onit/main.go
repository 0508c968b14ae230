// Command onit is Onit's single binary: the API server and its management
// commands (run `onit help`).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/bootstrap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := bootstrap.Main(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
