// Command hubsshd is the SSH server that runs inside a JupyterHub user's
// server, started on demand by jupyter-server-proxy. See docs/hubsshd.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
