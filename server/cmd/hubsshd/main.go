// Command hubsshd is the SSH server that runs inside a JupyterHub user's
// server, started on demand by jupyter-server-proxy. See docs/hubsshd.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubssh/hubssh/internal/profile"
)

// cpuProfileEnv is a debug knob: a path prefix for a CPU profile of this
// process (PREFIX.PID), for the benchmarks.
const cpuProfileEnv = "HUBSSHD_CPUPROFILE"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Caught, not ignored: a signal ignored here stays ignored in every
	// session's command (exec keeps SIG_IGN), and a shell that ignores
	// SIGHUP outlives the pty hubsshd closes when its session ends. Started
	// under nohup, hubsshd would otherwise hand that on. hubsshd itself
	// has no use for SIGHUP.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	endProfile, err := profile.Start(cpuProfileEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubsshd:", err)
		os.Exit(1)
	}
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	endProfile()
	os.Exit(code)
}
