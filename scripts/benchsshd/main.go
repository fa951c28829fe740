// Command benchsshd measures hubsshd against OpenSSH's sshd on this
// machine, both over direct loopback TCP, both driven by the same OpenSSH
// client, interleaved run by run: exec cat each way, sftp put and get,
// one-byte round trips, concurrent connections, and server memory.
// scripts/bench-sshd runs it; --smoke makes a tiny run for CI.
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
	"time"

	"github.com/hubssh/hubssh/internal/bench"
)

type options struct {
	hubsshd, sshd, out     string
	runs, rtts, concurrent int
	size, sftpSize         int64
	smoke                  bool
	ciphers                []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsshd:", err)
		os.Exit(1)
	}
}

func parse(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchsshd", flag.ContinueOnError)
	fs.StringVar(&o.hubsshd, "hubsshd", "bin/hubsshd", "hubsshd binary")
	fs.StringVar(&o.sshd, "sshd", "/usr/sbin/sshd", "OpenSSH sshd binary")
	fs.StringVar(&o.out, "out", "bench-results", "directory for sshd.md and sshd.json")
	fs.IntVar(&o.runs, "runs", 5, "repetitions of every measurement")
	fs.IntVar(&o.rtts, "rtts", 1000, "one-byte round trips per run")
	fs.IntVar(&o.concurrent, "concurrent", 50, "connections at once")
	fs.Int64Var(&o.size, "size", 1<<30, "bytes through exec cat, each way")
	fs.Int64Var(&o.sftpSize, "sftp-size", 512<<20, "bytes per sftp put and get")
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes, one run, default cipher only: proves the benchmark works")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.ciphers = []string{"", "aes128-gcm@openssh.com"}
	if o.smoke {
		o.runs, o.rtts, o.concurrent, o.size, o.sftpSize = 1, 50, 8, 4<<20, 4<<20
		o.ciphers = o.ciphers[:1]
	}
	for _, p := range []*string{&o.hubsshd, &o.sshd, &o.out} {
		a, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = a
	}
	if _, err := os.Stat(o.sshd); err != nil {
		return nil, fmt.Errorf("OpenSSH sshd not found at %s: install openssh-server (scripts/setup does)", o.sshd)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hubssh-bench-sshd-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := setup(ctx, o, dir)
	if err != nil {
		return err
	}
	defer env.stop()

	res := newResults(o)
	src := filepath.Join(dir, "src.bin")
	if err := bench.WriteRandom(src, o.sftpSize); err != nil {
		return err
	}
	srcSum, _ := bench.FileSHA256(src)
	res.idleRSS["hubsshd"] = float64(bench.TreeRSS(env.hubPID)) / (1 << 20)
	res.idleRSS["openssh"] = float64(bench.TreeRSS(env.sshdPID)) / (1 << 20)

	for r := 0; r < o.runs; r++ {
		for _, cipher := range o.ciphers {
			var sshArgs []string
			if cipher != "" {
				sshArgs = []string{"-c", cipher}
			}
			for _, st := range env.stacks {
				fmt.Fprintf(os.Stderr, "run %d/%d %s %s\n", r+1, o.runs, st.Name, cipherName(cipher))
				if err := measureOnce(ctx, o, res, st, cipher, sshArgs, dir, src, srcSum); err != nil {
					return err
				}
			}
		}
	}
	for _, st := range env.stacks {
		times, peak, failed := bench.Concurrent(ctx, st, nil, o.concurrent, 2*time.Minute)
		if len(failed) > 0 {
			return fmt.Errorf("%s: %d of %d concurrent sessions failed, first: %v", st.Name, len(failed), o.concurrent, failed[0])
		}
		res.add("concurrent p95 (s)", st.Name, "", bench.Summarise(bench.Seconds(times)).P95)
		res.peakRSS[st.Name] = float64(peak) / (1 << 20)
	}
	return res.write(o, stdout)
}

func measureOnce(ctx context.Context, o *options, res *results, st bench.Stack, cipher string, sshArgs []string, dir, src, srcSum string) error {
	mb := func(n int64, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }
	d, err := bench.Connect(ctx, st, sshArgs)
	if err != nil {
		return err
	}
	res.add("connect (ms)", st.Name, cipher, d.Seconds()*1000)
	// CPU of the server's whole process tree per GiB moved: the figure that
	// holds on a noisy two-core machine, where wall time is shared by the
	// client, the server and the command alike.
	cpuRow := func(transfer string, n int64, f func() (time.Duration, error)) (time.Duration, error) {
		m := bench.NewCPUMeter(map[string]func() int{"server": st.ServerPID}, map[string]bool{"server": true}, nil)
		d, err := f()
		spent := m.Stop()["server"]
		if err == nil {
			res.add("CPU s per GiB, "+transfer+": server (whole tree)", st.Name, cipher, spent.Seconds()/(float64(n)/(1<<30)))
		}
		return d, err
	}
	if d, err = cpuRow("upload", o.size, func() (time.Duration, error) { return bench.Upload(ctx, st, sshArgs, o.size) }); err != nil {
		return err
	}
	res.add("exec cat upload (MiB/s)", st.Name, cipher, mb(o.size, d))
	if d, err = cpuRow("download", o.size, func() (time.Duration, error) { return bench.Download(ctx, st, sshArgs, o.size) }); err != nil {
		return err
	}
	res.add("exec cat download (MiB/s)", st.Name, cipher, mb(o.size, d))
	remote := filepath.Join(dir, "remote-"+st.Name+".bin")
	back := filepath.Join(dir, "back-"+st.Name+".bin")
	if d, err = cpuRow("sftp put", o.sftpSize, func() (time.Duration, error) {
		return bench.SFTP(ctx, st, sshArgs, fmt.Sprintf("put %s %s", src, remote))
	}); err != nil {
		return err
	}
	res.add("sftp put (MiB/s)", st.Name, cipher, mb(o.sftpSize, d))
	if d, err = cpuRow("sftp get", o.sftpSize, func() (time.Duration, error) {
		return bench.SFTP(ctx, st, sshArgs, fmt.Sprintf("get %s %s", remote, back))
	}); err != nil {
		return err
	}
	res.add("sftp get (MiB/s)", st.Name, cipher, mb(o.sftpSize, d))
	for _, p := range []string{remote, back} {
		if sum, _ := bench.FileSHA256(p); sum != srcSum {
			return fmt.Errorf("%s: %s differs from the source after sftp", st.Name, p)
		}
	}
	os.Remove(remote)
	os.Remove(back)
	rtts, err := bench.RoundTrips(ctx, st, sshArgs, o.rtts)
	if err != nil {
		return err
	}
	s := bench.Summarise(bench.Seconds(rtts))
	res.add("round trip p50 (ms)", st.Name, cipher, s.P50*1000)
	res.add("round trip p99 (ms)", st.Name, cipher, s.P99*1000)
	return nil
}

func cipherName(c string) string {
	if c == "" {
		return "default cipher (chacha20-poly1305)"
	}
	return c
}
