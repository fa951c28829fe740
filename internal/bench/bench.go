// Package bench measures SSH stacks with the real OpenSSH client: bulk
// transfer through exec, sftp put/get, interactive round trips, concurrent
// connections and server memory. A Stack is anything "ssh -F CONFIG HOST"
// reaches, so the same measurements cover hubsshd, OpenSSH's sshd and, through
// a hub, every SSH-over-websocket tool.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stack is one way to reach an SSH server.
type Stack struct {
	Name   string
	Config string   // ssh config file
	Host   string   // host alias in Config
	Env    []string // extra environment for ssh (a token for a ProxyCommand)
	// ServerPID returns the process whose tree is the server side, for
	// memory; nil when unknown.
	ServerPID func() int
}

func (s Stack) cmd(ctx context.Context, tool string, args ...string) *exec.Cmd {
	full := append([]string{"-F", s.Config}, args...)
	c := exec.CommandContext(ctx, tool, full...)
	c.Env = append(os.Environ(), s.Env...)
	return c
}

// Command is "ssh [extra] HOST command" for this stack.
func (s Stack) Command(ctx context.Context, extra []string, command string) *exec.Cmd {
	return s.ssh(ctx, extra, command)
}

func (s Stack) ssh(ctx context.Context, extra []string, command string) *exec.Cmd {
	args := append(append([]string{}, extra...), s.Host, command)
	return s.cmd(ctx, "ssh", args...)
}

// zeros is an endless reader of zero bytes: what "head -c N /dev/zero"
// gives, without a process in between.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Upload sends size bytes into "cat > /dev/null" on the server.
func Upload(ctx context.Context, s Stack, sshArgs []string, size int64) (time.Duration, error) {
	c := s.ssh(ctx, sshArgs, "cat > /dev/null")
	c.Stdin = io.LimitReader(zeros{}, size)
	var errb bytes.Buffer
	c.Stderr = &errb
	t0 := time.Now()
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%s upload: %w: %s", s.Name, err, strings.TrimSpace(errb.String()))
	}
	return time.Since(t0), nil
}

// Download reads size bytes of "head -c SIZE /dev/zero" and checks the count.
func Download(ctx context.Context, s Stack, sshArgs []string, size int64) (time.Duration, error) {
	c := s.ssh(ctx, sshArgs, fmt.Sprintf("head -c %d /dev/zero", size))
	cw := &countWriter{}
	c.Stdout = cw
	var errb bytes.Buffer
	c.Stderr = &errb
	t0 := time.Now()
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%s download: %w: %s", s.Name, err, strings.TrimSpace(errb.String()))
	}
	d := time.Since(t0)
	if cw.n != size {
		return 0, fmt.Errorf("%s download: got %d bytes, want %d", s.Name, cw.n, size)
	}
	return d, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// SFTP runs one sftp batch command ("put SRC DST" or "get SRC DST").
func SFTP(ctx context.Context, s Stack, sshArgs []string, batch string) (time.Duration, error) {
	args := append(append([]string{}, sshArgs...), "-b", "-", s.Host)
	c := s.cmd(ctx, "sftp", args...)
	c.Stdin = strings.NewReader(batch + "\n")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	t0 := time.Now()
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%s sftp %q: %w: %s", s.Name, batch, err, strings.TrimSpace(out.String()))
	}
	return time.Since(t0), nil
}

// RoundTrips writes one byte at a time into "cat" and times each echo.
func RoundTrips(ctx context.Context, s Stack, sshArgs []string, n int) ([]time.Duration, error) {
	c := s.ssh(ctx, sshArgs, "cat")
	in, err := c.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		return nil, err
	}
	defer c.Wait()
	defer in.Close()
	// Warm up: the first echo also waits for the session to start.
	buf := []byte{'x'}
	if _, err := in.Write(buf); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(out, buf); err != nil {
		return nil, fmt.Errorf("%s round trips: %w: %s", s.Name, err, errb.String())
	}
	rtts := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := in.Write(buf); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(out, buf); err != nil {
			return nil, fmt.Errorf("%s round trip %d: %w", s.Name, i, err)
		}
		rtts = append(rtts, time.Since(t0))
	}
	return rtts, nil
}

// Connect times "ssh HOST true" once.
func Connect(ctx context.Context, s Stack, sshArgs []string) (time.Duration, error) {
	c := s.ssh(ctx, sshArgs, "true")
	var errb bytes.Buffer
	c.Stderr = &errb
	t0 := time.Now()
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%s connect: %w: %s", s.Name, err, strings.TrimSpace(errb.String()))
	}
	return time.Since(t0), nil
}

// Concurrent opens n connections at once, each running a short command
// with a time limit, and returns the wall time of each that succeeded and
// the errors of those that did not. While they run, the server's memory is
// sampled; peakRSS is the largest total seen.
func Concurrent(ctx context.Context, s Stack, sshArgs []string, n int, limit time.Duration) (times []time.Duration, peakRSS int64, failed []error) {
	stop := make(chan struct{})
	var peak int64
	var wgSample sync.WaitGroup
	if s.ServerPID != nil {
		wgSample.Add(1)
		go func() {
			defer wgSample.Done()
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				if r := TreeRSS(s.ServerPID()); r > peak {
					peak = r
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each session holds on for a moment so all n overlap.
			ctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			c := s.ssh(ctx, sshArgs, "sleep 0.5; echo done")
			var out, errb bytes.Buffer
			c.Stdout, c.Stderr = &out, &errb
			t0 := time.Now()
			err := c.Run()
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || out.String() != "done\n" {
				if ctx.Err() != nil {
					err = fmt.Errorf("no result within %s", limit)
				}
				errs = append(errs, fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String())))
				return
			}
			times = append(times, d)
		}()
	}
	wg.Wait()
	close(stop)
	wgSample.Wait()
	return times, peak, errs
}

// FileSHA256 hashes a file, to check transfers.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// Stats summarises repeated measurements.
type Stats struct {
	N                     int
	Median, Min, Max, P95 float64
	P50, P99              float64
}

// Summarise computes Stats of xs (any unit).
func Summarise(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s)-1) + 0.5)
		return s[i]
	}
	return Stats{N: len(s), Median: q(0.5), P50: q(0.5), Min: s[0], Max: s[len(s)-1], P95: q(0.95), P99: q(0.99)}
}

// Seconds converts durations for Summarise.
func Seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// WriteRandom writes n random bytes to path (the source of sftp transfers,
// incompressible like real data).
func WriteRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Num formats a measurement with three significant digits or so.
func Num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}
