// Command hubssh connects ssh, sftp, scp, rsync and editors to a JupyterHub
// user's server. See README.md and docs/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubssh/hubssh/helper/internal/cli"
)

func main() {
	// ssh sends its ProxyCommand SIGHUP when it is done with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := cli.Main(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
