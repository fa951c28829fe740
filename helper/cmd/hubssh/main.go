// Command hubssh connects ssh, sftp, scp, rsync and editors to a JupyterHub
// user's server. See README.md and docs/.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubssh/hubssh/helper/internal/cli"
	"github.com/hubssh/hubssh/internal/profile"
)

// cpuProfileEnv is a debug knob: a path prefix for a CPU profile of this
// process (PREFIX.PID), for the benchmarks.
const cpuProfileEnv = "HUBSSH_CPUPROFILE"

func main() {
	// ssh sends its ProxyCommand SIGHUP when it is done with it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	endProfile, err := profile.Start(cpuProfileEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubssh:", err)
		os.Exit(1)
	}
	code := cli.Main(ctx, os.Args[1:], cli.NewFactory(cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv))
	stop()
	endProfile()
	os.Exit(code)
}
