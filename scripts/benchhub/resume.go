package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubssh/hubssh/internal/bench"
)

// The resume rows (#12): hubssh to alice's hubsshd (resume on, the
// default) and to bob's (resume off, HUBSSHD_RESUME_WINDOW=0), each
// straight to the hub and through a relay that adds 20 or 100 ms of round
// trip. The kernels here have no netem, so the relay delays in user space:
// every chunk leaves its timestamp plus half the added RTT, pipelined, so
// bandwidth is untouched and only latency grows.

// resumeOffPy turns resume off in bob's server.
const resumeOffPy = `
def _resume_off(spawner):
    if spawner.user.name == "bob":
        spawner.environment = dict(spawner.environment, HUBSSHD_RESUME_WINDOW="0")
c.Spawner.pre_spawn_hook = _resume_off
`

var resumeRTTs = []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond}

// resumeStack is one cell's stack: who (on/off) and how far.
type resumeStack struct {
	on    bool
	rtt   time.Duration
	stack bench.Stack
}

// setupResume logs alice and bob in through each relay, as users do.
func setupResume(ctx context.Context, o *options, e *environment) ([]resumeStack, error) {
	if err := e.hub.StartServer(ctx, "bob", ""); err != nil {
		return nil, fmt.Errorf("start bob's server: %w", err)
	}
	var out []resumeStack
	for _, rtt := range resumeRTTs {
		hubURL := e.hub.URL.String()
		if rtt > 0 {
			relay, err := startRelay(e.hub.URL.Host, rtt/2)
			if err != nil {
				return nil, err
			}
			e.relays = append(e.relays, relay)
			hubURL = "http://" + relay.Addr().String() + "/"
		}
		for _, who := range []struct {
			user string
			on   bool
		}{{"alice", true}, {"bob", false}} {
			st, err := loginThrough(ctx, o, e, who.user, hubURL, fmt.Sprintf("resume-%s-%dms", who.user, rtt.Milliseconds()))
			if err != nil {
				return nil, err
			}
			out = append(out, resumeStack{on: who.on, rtt: rtt, stack: st})
		}
	}
	return out, nil
}

func loginThrough(ctx context.Context, o *options, e *environment, user, hubURL, name string) (bench.Stack, error) {
	home := filepath.Join(e.dir, name)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	env := []string{"HOME=" + home, "HUBSSH_CONFIG_DIR=" + filepath.Join(home, "config"), "HUBSSH_NO_KEYRING=1"}
	if out, err := runWith(ctx, env, e.hub.Token(user), o.hubssh, "login", "--token-stdin", hubURL); err != nil {
		return bench.Stack{}, fmt.Errorf("hubssh login %s as %s: %v: %s", hubURL, user, err, out)
	}
	out, err := runWith(ctx, env, "", o.hubssh, "connect", "--prepare-only")
	if err != nil {
		return bench.Stack{}, fmt.Errorf("hubssh connect (%s): %v: %s", name, err, out)
	}
	var prep struct{ Alias string }
	i := strings.IndexByte(out, '{')
	if i < 0 || json.Unmarshal([]byte(out[i:]), &prep) != nil {
		return bench.Stack{}, fmt.Errorf("hubssh connect --prepare-only (%s) said %q", name, out)
	}
	return bench.Stack{Name: name, Config: filepath.Join(home, ".ssh", "config"), Host: prep.Alias, Env: env}, nil
}

// measureResume fills the resume rows: bulk each way and round trips, on
// and off, at each added RTT. Sizes shrink with the RTT so a run stays
// minutes long; both sides of a ratio always move the same bytes.
func measureResume(ctx context.Context, o *options, stacks []resumeStack, r *results) {
	for run := 0; run < o.runs; run++ {
		for _, rs := range stacks {
			mode := "off"
			if rs.on {
				mode = "on"
			}
			say("run %d/%d: resume %s, +%d ms", run+1, o.runs, mode, rs.rtt.Milliseconds())
			size, rtts := o.size/4, o.rtts/4
			switch rs.rtt {
			case 20 * time.Millisecond:
				size, rtts = o.size/8, 200
			case 100 * time.Millisecond:
				size, rtts = o.size/16, 50
			}
			if o.smoke {
				size, rtts = 2<<20, 10
			}
			mib := float64(size) / (1 << 20)
			up := fmt.Sprintf("exec upload (MiB/s), +%d ms RTT", rs.rtt.Milliseconds())
			if d, err := bench.Upload(ctx, rs.stack, nil, size); err != nil {
				r.resumeFailed(up, mode, err)
			} else {
				r.addResume(up, mode, mib/d.Seconds())
			}
			down := fmt.Sprintf("exec download (MiB/s), +%d ms RTT", rs.rtt.Milliseconds())
			if d, err := bench.Download(ctx, rs.stack, nil, size); err != nil {
				r.resumeFailed(down, mode, err)
			} else {
				r.addResume(down, mode, mib/d.Seconds())
			}
			rt := fmt.Sprintf("round trip p50 (ms), +%d ms RTT", rs.rtt.Milliseconds())
			if ds, err := bench.RoundTrips(ctx, rs.stack, nil, rtts); err != nil {
				r.resumeFailed(rt, mode, err)
			} else {
				r.addResume(rt, mode, bench.Summarise(bench.Seconds(ds)).Median*1000)
			}
		}
	}
}

func (r *results) addResume(metric, mode string, v float64) {
	if r.resume[metric] == nil {
		r.resume[metric] = map[string][]float64{}
		r.resumeOrder = append(r.resumeOrder, metric)
	}
	r.resume[metric][mode] = append(r.resume[metric][mode], v)
}

func (r *results) resumeFailed(metric, mode string, err error) {
	r.failed(metric, "hubssh resume "+mode, oneLine(err.Error()))
}

// resumeTable renders the rows: medians, and on ÷ off (1.00 is free).
func (r *results) resumeTable() (string, []map[string]any) {
	var b strings.Builder
	var js []map[string]any
	b.WriteString("\n## Resume on vs off (hubssh to hubsshd with and without resumable sessions)\n\n")
	b.WriteString("| metric | resume on | resume off | on ÷ off |\n|---|---|---|---|\n")
	for _, m := range r.resumeOrder {
		on, off := bench.Summarise(r.resume[m]["on"]), bench.Summarise(r.resume[m]["off"])
		ratio := "—"
		if off.Median > 0 && on.Median > 0 {
			ratio = fmt.Sprintf("%.2f", on.Median/off.Median)
		}
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %s (%s–%s) | %s |\n", m,
			bench.Num(on.Median), bench.Num(on.Min), bench.Num(on.Max),
			bench.Num(off.Median), bench.Num(off.Min), bench.Num(off.Max), ratio)
		js = append(js, map[string]any{"metric": m, "on": on, "off": off})
	}
	return b.String(), js
}

// relay is a TCP relay on loopback that adds a one-way delay each way.
type relay struct {
	net.Listener
	target string
	delay  time.Duration
}

func startRelay(target string, oneWay time.Duration) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{Listener: ln, target: target, delay: oneWay}
	go r.serve()
	return r, nil
}

func (r *relay) serve() {
	for {
		c, err := r.Accept()
		if err != nil {
			return
		}
		go func() {
			s, err := net.Dial("tcp", r.target)
			if err != nil {
				c.Close()
				return
			}
			go r.pump(s, c)
			r.pump(c, s)
		}()
	}
}

type chunk struct {
	due  time.Time
	data []byte
}

// pump copies src to dst, each chunk leaving delay after it arrived.
func (r *relay) pump(dst, src net.Conn) {
	q := make(chan chunk, 1024) // in flight: at most 1024 reads' worth
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{due: time.Now().Add(r.delay), data: buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range q {
	}
}
