// Command benchhub measures, in one run on one local JupyterHub, the SSH
// stacks users choose between: hubssh (hubssh proxy → hub →
// jupyter-server-proxy → hubsshd), jupyter-sshd-proxy as 2i2c and
// Openscapes run it (websocat → hub → jupyter-server-proxy → OpenSSH sshd),
// the hub's pipe itself without SSH (the ceiling for any such tool), and
// OpenSSH over direct loopback TCP (the physical limit). scripts/bench-hub
// runs it; --smoke makes a tiny run for CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

type options struct {
	venv, chp, hubsshd, hubssh, devhub, websocat, sshd, out string
	runs, rtts, concurrent                                  int
	size, sftpSize                                          int64
	smoke, resumeOnly                                       bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchhub:", err)
		os.Exit(1)
	}
}

func parse(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchhub", flag.ContinueOnError)
	fs.StringVar(&o.venv, "venv", "", "venv with the hub and jupyter-sshd-proxy (scripts/requirements-bench.txt)")
	fs.StringVar(&o.chp, "chp", "", "configurable-http-proxy")
	fs.StringVar(&o.hubsshd, "hubsshd", "bin/hubsshd", "hubsshd binary")
	fs.StringVar(&o.hubssh, "hubssh", "bin/hubssh", "hubssh binary")
	fs.StringVar(&o.devhub, "devhub", "bin/devhub", "devhub binary (its pipe-backend is the ceiling's far end)")
	fs.StringVar(&o.websocat, "websocat", "", "websocat binary (the peer's ProxyCommand)")
	fs.StringVar(&o.sshd, "sshd", "/usr/sbin/sshd", "OpenSSH sshd")
	fs.StringVar(&o.out, "out", "bench-results", "directory for hub.md, hub.json and hub.svg")
	fs.IntVar(&o.runs, "runs", 5, "repetitions")
	fs.IntVar(&o.rtts, "rtts", 2000, "one-byte round trips per run")
	fs.IntVar(&o.concurrent, "concurrent", 50, "sessions at once")
	fs.Int64Var(&o.size, "size", 1<<30, "bytes through exec cat, each way")
	fs.Int64Var(&o.sftpSize, "sftp-size", 512<<20, "bytes per sftp put and get")
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes, one run: proves the benchmark works")
	fs.BoolVar(&o.resumeOnly, "resume-only", false, "only the resume on/off rows (minutes, not a quarter hour)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.smoke {
		o.runs, o.rtts, o.concurrent, o.size, o.sftpSize = 1, 50, 5, 2<<20, 2<<20
	}
	for _, p := range []*string{&o.venv, &o.chp, &o.hubsshd, &o.hubssh, &o.devhub, &o.websocat, &o.sshd, &o.out} {
		if *p == "" {
			return nil, fmt.Errorf("--venv, --chp and --websocat are required (scripts/bench-hub passes them)")
		}
		a, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = a
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 2 && args[0] == "--render" {
		return render(args[1])
	}
	o, err := parse(args)
	if err != nil {
		return err
	}
	env, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer env.close()
	res, err := measure(ctx, o, env)
	if err != nil {
		return err
	}
	if err := res.write(o, stdout); err != nil {
		return err
	}
	// A smoke run guards against rot: our own stacks must work. The peer's
	// failures are findings, reported in the table, not ours to fail on.
	if f := res.ownFailures(); o.smoke && len(f) > 0 {
		return fmt.Errorf("smoke run: %d measurement(s) failed, first: %s", len(f), f[0])
	}
	return nil
}
