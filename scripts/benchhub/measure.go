package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubssh/hubssh/internal/bench"
)

const (
	sHubssh  = "hubssh"
	sPeer    = "jupyter-sshd-proxy"
	sCeiling = "pipe ceiling (no SSH)"
	sHTTP    = "pipe, HTTP mode (no SSH)"
	sDirect  = "OpenSSH direct (no hub)"
)

var stackOrder = []string{sHubssh, sPeer, sCeiling, sHTTP, sDirect}

func measure(ctx context.Context, o *options, e *environment) (*results, error) {
	r := newResults()
	src := filepath.Join(e.dir, "src.bin")
	if err := bench.WriteRandom(src, o.sftpSize); err != nil {
		return nil, err
	}
	srcSum, _ := bench.FileSHA256(src)
	ssh := []bench.Stack{e.hubssh, e.peer, e.direct}
	names := map[string]string{e.hubssh.Name: sHubssh, e.peer.Name: sPeer, e.direct.Name: sDirect}
	if o.resumeOnly {
		measureResume(ctx, o, e.resume, r)
		return r, nil
	}

	for run := 0; run < o.runs; run++ {
		for _, st := range ssh {
			name := names[st.Name]
			say("run %d/%d: %s", run+1, o.runs, name)
			if err := measureStack(ctx, o, e, r, st, name, run, src, srcSum); err != nil {
				return nil, err
			}
		}
		for _, p := range []struct {
			name string
			pipe bench.Pipe
		}{{sCeiling, e.pipe}, {sHTTP, e.pipeHTTP}} {
			say("run %d/%d: %s", run+1, o.runs, p.name)
			if err := measurePipe(ctx, o, r, p.name, p.pipe); err != nil {
				return nil, err
			}
		}
		if err := coldStart(ctx, e, r); err != nil {
			return nil, err
		}
	}
	for _, st := range ssh {
		say("concurrency: %s", names[st.Name])
		metric := fmt.Sprintf("%d sessions at once: p95 (s)", o.concurrent)
		times, peak, failed := bench.Concurrent(ctx, st, nil, o.concurrent, 2*time.Minute)
		if len(failed) > 0 {
			r.failed(metric, names[st.Name], fmt.Sprintf("%d of %d sessions failed (%s)", len(failed), o.concurrent, oneLine(failed[0].Error())))
		}
		if len(times) > 0 {
			r.add(metric, names[st.Name], bench.Summarise(bench.Seconds(times)).P95)
		}
		r.peakRSS[names[st.Name]] = float64(peak) / (1 << 20)
	}
	measureResume(ctx, o, e.resume, r)
	return r, nil
}

// measurePipe measures the bare websocket pipe: bulk each way and one-byte
// round trips.
func measurePipe(ctx context.Context, o *options, r *results, name string, p bench.Pipe) error {
	mib := func(n int64, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }
	d, err := p.Upload(ctx, o.size)
	if err != nil {
		return fmt.Errorf("%s upload: %w", name, err)
	}
	r.add("bulk upload (MiB/s)", name, mib(o.size, d))
	if d, err = p.Download(ctx, o.size); err != nil {
		return fmt.Errorf("%s download: %w", name, err)
	}
	r.add("bulk download (MiB/s)", name, mib(o.size, d))
	rtts, err := p.RoundTrips(ctx, o.rtts)
	if err != nil {
		return fmt.Errorf("%s round trips: %w", name, err)
	}
	s := bench.Summarise(bench.Seconds(rtts))
	r.add("round trip p50 (ms)", name, s.P50*1000)
	r.add("round trip p99 (ms)", name, s.P99*1000)
	return nil
}

// coldStart stops alice's server and times the first output of
// "ssh HOST echo ok" from there. hubssh starts the server itself; for the
// peer, a script or a person starts it through the hub first, as its docs
// say. The hub's own spawn time (its log's "took N seconds to start") is
// reported apart, and what each stack adds to it: for hubssh that is the
// helper's own work (the request, the progress stream, the key, the
// connection), the overhead the target bounds.
func coldStart(ctx context.Context, e *environment, r *results) error {
	for _, st := range []bench.Stack{e.hubssh, e.peer} {
		if err := e.hub.StopServer(ctx, "alice", ""); err != nil {
			return err
		}
		name := sPeer
		if st.Name == e.hubssh.Name {
			name = sHubssh
		}
		t0 := time.Now()
		if name == sPeer {
			if err := startServer(ctx, e.hub); err != nil {
				return err
			}
		}
		cmd := st.Command(ctx, nil, "echo ok")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || out.String() != "ok\n" {
			return fmt.Errorf("%s cold start: %v %q %s", st.Name, err, out.String(), errb.String())
		}
		cold := time.Since(t0)
		spawn, err := e.hub.LastSpawnTime("alice", "")
		if err != nil {
			return fmt.Errorf("%s cold start: %w", st.Name, err)
		}
		r.add("cold start: stopped → first output (s)", name, cold.Seconds())
		r.add("hub's own spawn time (s)", name, spawn.Seconds())
		r.add("cold start beyond the hub's spawn (ms)", name, ms(cold-spawn))
	}
	return nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// samplePeak calls f every 50 ms until stop closes and returns the largest value.
func samplePeak(stop <-chan struct{}, f func() int64) int64 {
	var peak int64
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		peak = max(peak, f())
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// rssOf returns a sampler of the memory of the processes whose command line
// holds all words. It scans /proc only until it finds them: a scan of every
// process at each sample would itself take CPU from the transfer measured,
// and only hubssh's row has this sampler.
func rssOf(words ...string) func() int64 {
	var pids []int
	return func() int64 {
		if len(pids) == 0 {
			pids = bench.FindProcs(func(cmdline, _ string) bool {
				for _, w := range words {
					if !strings.Contains(cmdline, w) {
						return false
					}
				}
				return true
			})
		}
		var total int64
		for _, pid := range pids {
			total += bench.RSS(pid)
		}
		return total
	}
}

// findPID finds the process whose command line holds word and whose
// environment holds env (either may be "").
func findPID(word, env string) int {
	pids := bench.FindProcs(func(cmdline, environ string) bool {
		return strings.Contains(cmdline, word) && (env == "" || strings.Contains(environ, env))
	})
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}

// findRootPID is findPID for a server that forks per connection with the
// same command line (OpenSSH's sshd): the matching process whose parent
// does not match, the listener.
func findRootPID(word, env string) int {
	pids := bench.FindProcs(func(cmdline, environ string) bool {
		return strings.Contains(cmdline, word) && (env == "" || strings.Contains(environ, env))
	})
	for _, p := range pids {
		if !slices.Contains(pids, bench.PPID(p)) {
			return p
		}
	}
	return 0
}

// cpuMeter starts measuring the CPU each process of st's chain spends on
// one transfer: the SSH server with its per-connection processes and the
// commands it runs, the ProxyCommand on the client, and the hub's two
// proxies (configurable-http-proxy, and jupyter-server-proxy in alice's
// single-user server). The direct stack has a server only.
func (e *environment) cpuMeter(st bench.Stack) *bench.CPUMeter {
	long := map[string]func() int{roleServer: st.ServerPID}
	short := map[string]func() int{}
	if st.Name != e.direct.Name {
		long[roleCHP] = e.hub.ProxyPID
		long[roleJSP] = func() int { return findPID("jupyterhub-singleuser", "JUPYTERHUB_USER=alice\x00") }
		switch st.Name {
		case e.hubssh.Name:
			short[roleClient] = func() int { return findPID("proxy "+e.hubssh.Host, "") }
		case e.peer.Name:
			short[roleClient] = func() int { return findPID("websocat", "") }
		}
	}
	return bench.NewCPUMeter(long, map[string]bool{roleServer: true}, short)
}

// Processes of a chain, as the CPU rows name them.
const (
	roleServer = "SSH server"
	roleClient = "ProxyCommand (hubssh proxy, websocat)"
	roleCHP    = "configurable-http-proxy"
	roleJSP    = "jupyter-server-proxy"
)

// addCPU records CPU seconds per GiB moved for each process measured.
func (r *results) addCPU(transfer, stack string, n int64, spent map[string]time.Duration) {
	gib := float64(n) / (1 << 30)
	for _, role := range []string{roleServer, roleClient, roleCHP, roleJSP} {
		if d, ok := spent[role]; ok && gib > 0 {
			r.add(fmt.Sprintf("CPU s per GiB, %s: %s", transfer, role), stack, d.Seconds()/gib)
		}
	}
}

// measureStack runs one stack's SSH measurements once. Each gets a time
// limit: a stack that stalls (jupyter-sshd-proxy's sftp did, in a full
// run) is recorded as such and the benchmark goes on.
func measureStack(ctx context.Context, o *options, e *environment, r *results, st bench.Stack, name string, run int, src, srcSum string) error {
	mib := func(n int64, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }
	limit := 4 * time.Minute
	if o.smoke {
		limit = time.Minute
	}
	// try runs one measurement; false means it failed and was recorded.
	try := func(metric string, f func(ctx context.Context) error) bool {
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		if err := f(ctx); err != nil {
			reason := oneLine(err.Error())
			if ctx.Err() != nil {
				reason = fmt.Sprintf("stalled: no result within %s", limit)
			}
			r.failed(metric, name, reason)
			say("  %s: %s failed: %s", name, metric, reason)
			return false
		}
		return true
	}
	var d time.Duration
	var err error
	if !try("connect: ssh HOST true (ms)", func(ctx context.Context) error { d, err = bench.Connect(ctx, st, nil); return err }) {
		return nil
	}
	r.add("connect: ssh HOST true (ms)", name, ms(d))
	if st.Name == e.hubssh.Name && run == 0 {
		// hubsshd starts on the first connection; it is idle now.
		r.idleRSS = float64(bench.RSS(e.hubssh.ServerPID())) / (1 << 20)
	}
	var helperPeak int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if st.Name == e.hubssh.Name {
		wg.Add(1)
		go func() {
			defer wg.Done()
			helperPeak = samplePeak(stop, rssOf("proxy", e.hubssh.Host))
		}()
	}
	cpu := e.cpuMeter(st)
	ok := try("bulk upload (MiB/s)", func(ctx context.Context) error { d, err = bench.Upload(ctx, st, nil, o.size); return err })
	close(stop)
	wg.Wait()
	if spent := cpu.Stop(); ok {
		r.add("bulk upload (MiB/s)", name, mib(o.size, d))
		r.addCPU("upload", name, o.size, spent)
	}
	if helperPeak > 0 {
		r.helperRSS = max(r.helperRSS, float64(helperPeak)/(1<<20))
	}
	cpu = e.cpuMeter(st)
	ok = try("bulk download (MiB/s)", func(ctx context.Context) error { d, err = bench.Download(ctx, st, nil, o.size); return err })
	if spent := cpu.Stop(); ok {
		r.add("bulk download (MiB/s)", name, mib(o.size, d))
		r.addCPU("download", name, o.size, spent)
	}
	remote := filepath.Join(e.dir, "remote.bin")
	back := filepath.Join(e.dir, "back.bin")
	defer os.Remove(remote)
	defer os.Remove(back)
	cpu = e.cpuMeter(st)
	ok = try("sftp put (MiB/s)", func(ctx context.Context) error {
		if d, err = bench.SFTP(ctx, st, nil, fmt.Sprintf("put %s %s", src, remote)); err != nil {
			return err
		}
		return sameFile(remote, srcSum)
	})
	if spent := cpu.Stop(); ok {
		r.add("sftp put (MiB/s)", name, mib(o.sftpSize, d))
		r.addCPU("sftp put", name, o.sftpSize, spent)
		cpu = e.cpuMeter(st)
		ok = try("sftp get (MiB/s)", func(ctx context.Context) error {
			if d, err = bench.SFTP(ctx, st, nil, fmt.Sprintf("get %s %s", remote, back)); err != nil {
				return err
			}
			return sameFile(back, srcSum)
		})
		if spent := cpu.Stop(); ok {
			r.add("sftp get (MiB/s)", name, mib(o.sftpSize, d))
			r.addCPU("sftp get", name, o.sftpSize, spent)
		}
	}
	var rtts []time.Duration
	if try("round trip p50 (ms)", func(ctx context.Context) error { rtts, err = bench.RoundTrips(ctx, st, nil, o.rtts); return err }) {
		s := bench.Summarise(bench.Seconds(rtts))
		r.add("round trip p50 (ms)", name, s.P50*1000)
		r.add("round trip p99 (ms)", name, s.P99*1000)
	}
	return nil
}

// sameFile checks a transferred file against the source's checksum.
func sameFile(path, sum string) error {
	if got, _ := bench.FileSHA256(path); got != sum {
		return fmt.Errorf("%s differs from the source after sftp", path)
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
