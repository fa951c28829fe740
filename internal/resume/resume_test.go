package resume

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// path is the network between client and server: a TCP relay on loopback
// that a test can cut (every connection reset, as a proxy restart does) or
// freeze (connections stay open and carry nothing, as a sleeping laptop's).
type path struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  []net.Conn
	frozen chan struct{} // closed while traffic flows
	down   bool          // new connections refused
}

func newPath(t *testing.T, target string) *path {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &path{t: t, ln: ln, target: target, frozen: make(chan struct{})}
	close(p.frozen)
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *path) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pump(c, s)
		go p.pump(s, c)
	}
}

func (p *path) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			f := p.frozen
			p.mu.Unlock()
			<-f
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// cut resets every connection on the path.
func (p *path) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	p.conns = nil
}

func (p *path) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = make(chan struct{})
	p.down = true
}

func (p *path) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.frozen)
	p.down = false
}

func (p *path) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.ln.Addr().String())
	if err != nil {
		return nil, err
	}
	return c, nil
}

var fast = Options{Heartbeat: 100 * time.Millisecond}

// server is a resume.Listener whose accepted streams echo what they read.
func server(t *testing.T, opts ServerOptions) *Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(ln, opts)
	var mu sync.Mutex
	var accepted []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range accepted {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return l
}

func connect(t *testing.T, dial Dial, opts ClientOptions) (*Conn, func() []Status) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var mu sync.Mutex
	var seen []Status
	opts.Status = func(s Status) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	c, ok, err := Connect(ctx, dial, opts)
	if err != nil || !ok {
		t.Fatalf("Connect: %v, resumable %v", err, ok)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*Conn), func() []Status { mu.Lock(); defer mu.Unlock(); return append([]Status(nil), seen...) }
}

// transfer writes size random bytes and reads the echo back while the
// path is cut every interval; it checks every byte.
func transfer(t *testing.T, c net.Conn, size int, during func()) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	want := sha256.Sum256(data)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := sha256.New()
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(got, c, int64(size))
		done <- err
	}()
	if during != nil {
		during()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("read the echo: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the echo did not come back within 60 s")
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got.Sum(nil), want[:]) {
		t.Fatal("the echo differs from what was sent")
	}
}

func TestSurvivesCuts(t *testing.T) {
	l := server(t, ServerOptions{Options: fast})
	p := newPath(t, l.Addr().String())
	c, seen := connect(t, p.dial, ClientOptions{Options: fast})
	transfer(t, c, 24<<20, func() {
		for i := 0; i < 5; i++ {
			time.Sleep(30 * time.Millisecond)
			p.cut()
		}
	})
	resumed := 0
	for _, s := range seen() {
		if s.Resumed {
			resumed++
		}
	}
	if resumed == 0 {
		t.Errorf("statuses %+v: want at least one resume", seen())
	}
}

func TestSurvivesAFreezeShorterThanTheWindow(t *testing.T) {
	l := server(t, ServerOptions{Options: fast, Window: 5 * time.Second})
	p := newPath(t, l.Addr().String())
	c, _ := connect(t, p.dial, ClientOptions{Options: fast})
	transfer(t, c, 1<<20, func() {
		p.freeze()
		time.Sleep(time.Second) // ten heartbeats: both ends declare the transport dead
		p.thaw()
	})
	if total, detached := l.Sessions(); total != 1 || detached != 0 {
		t.Errorf("server holds %d sessions, %d detached; want 1 attached", total, detached)
	}
}

func TestEndsAfterTheWindow(t *testing.T) {
	l := server(t, ServerOptions{Options: fast, Window: 300 * time.Millisecond})
	p := newPath(t, l.Addr().String())
	c, _ := connect(t, p.dial, ClientOptions{Options: fast, Grace: 5 * time.Second})
	transfer(t, c, 1<<10, nil)
	p.freeze()
	time.Sleep(time.Second)
	p.thaw()
	p.cut() // the frozen transports are stale now
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, ErrUnknownSession) || time.Since(start) > 3*time.Second {
		t.Fatalf("after the window: %v after %s, want %v within seconds", err, time.Since(start), ErrUnknownSession)
	}
}

func TestRestartedServerFailsFast(t *testing.T) {
	first := server(t, ServerOptions{Options: fast})
	second := server(t, ServerOptions{Options: fast})
	p := newPath(t, first.Addr().String())
	c, _ := connect(t, p.dial, ClientOptions{Options: fast})
	transfer(t, c, 1<<10, nil)
	p.mu.Lock()
	p.target = second.Addr().String() // the server came back as a new process
	p.mu.Unlock()
	p.cut()
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, ErrRestarted) || time.Since(start) > 2*time.Second {
		t.Fatalf("resume at a restarted server: %v after %s, want %v at once", err, time.Since(start), ErrRestarted)
	}
}

// TestPreemptsAStaleAttachment: the server still holds the old transport
// (it never saw it die) when the client comes back on a new one.
func TestPreemptsAStaleAttachment(t *testing.T) {
	l := server(t, ServerOptions{Options: Options{Heartbeat: time.Hour}})
	c, _ := connect(t, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", l.Addr().String())
	}, ClientOptions{Options: Options{Heartbeat: time.Hour}})
	transfer(t, c, 1<<10, nil)
	// The client's side of the transport goes; the server's stays open.
	c.mu.Lock()
	old := c.t
	g := c.gen
	c.mu.Unlock()
	c.lost(g, errors.New("test: the laptop woke on another network"))
	_ = old
	transfer(t, c, 1<<20, nil)
	if total, detached := l.Sessions(); total != 1 || detached != 0 {
		t.Errorf("server holds %d sessions, %d detached; want the one, attached", total, detached)
	}
}

func TestPlainClientsAndOldServers(t *testing.T) {
	l := server(t, ServerOptions{})
	// A plain SSH client: it reads the advertisement as a pre-banner line
	// (RFC 4253 §4.2) and the server sees its identification untouched.
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	io.WriteString(raw, "SSH-2.0-plain\r\n")
	got := make([]byte, 200)
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	var all []byte
	for !bytes.Contains(all, []byte("SSH-2.0-plain\r\n")) {
		n, err := raw.Read(got)
		if err != nil {
			t.Fatalf("read %q: %v", all, err)
		}
		all = append(all, got[:n]...)
	}
	if !strings.HasPrefix(string(all), Magic+" ") || !strings.HasSuffix(string(all), "\r\nSSH-2.0-plain\r\n") {
		t.Errorf("a plain client read %q: want the advertisement, then its own bytes echoed", all)
	}

	// An older hubsshd speaks SSH first: the client carries plain bytes.
	old, _ := net.Listen("tcp", "127.0.0.1:0")
	defer old.Close()
	go func() {
		c, err := old.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "SSH-2.0-hubsshd_old\r\n")
		io.Copy(c, c)
	}()
	conn, resumable, err := Connect(context.Background(), func(ctx context.Context) (net.Conn, error) {
		return net.Dial("tcp", old.Addr().String())
	}, ClientOptions{})
	if err != nil || resumable {
		t.Fatalf("against an older server: %v, resumable %v", err, resumable)
	}
	defer conn.Close()
	line := make([]byte, len("SSH-2.0-hubsshd_old\r\n"))
	if _, err := io.ReadFull(conn, line); err != nil || string(line) != "SSH-2.0-hubsshd_old\r\n" {
		t.Errorf("the old server's identification %q, %v: want it passed on", line, err)
	}
}

func TestBackPressure(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	l := Listen(ln, ServerOptions{Options: Options{Buffer: 64 << 10}})
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c // and never read
		}
	}()
	c, _ := connect(t, func(ctx context.Context) (net.Conn, error) {
		return net.Dial("tcp", ln.Addr().String())
	}, ClientOptions{Options: Options{Buffer: 64 << 10}})
	sc := <-accepted
	defer sc.Close()
	wrote := make(chan int, 1)
	go func() {
		n, _ := c.Write(make([]byte, 8<<20))
		wrote <- n
	}()
	time.Sleep(500 * time.Millisecond)
	if b := c.Buffered(); b > 64<<10 {
		t.Errorf("the writer holds %d bytes: more than its 64 KiB buffer", b)
	}
	select {
	case n := <-wrote:
		t.Fatalf("an 8 MiB write to a reader that reads nothing returned (%d bytes)", n)
	default:
	}
	c.Close()
}

func TestWireRefusesTampering(t *testing.T) {
	l := server(t, ServerOptions{Options: fast})
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	buf := make([]byte, maxLine)
	n, _ := raw.Read(buf)
	adv, ok, err := parseAdvert(string(buf[:n]))
	if !ok || err != nil || adv.Instance != l.Instance() || adv.Window != DefaultWindow {
		t.Fatalf("advertisement %q: %+v %v %v", buf[:n], adv, ok, err)
	}
	io.WriteString(raw, hello{ID: "0123456789abcdef0123456789abcdef", Nonce: nonce(), Proof: make([]byte, 32)}.line())
	n, _ = raw.Read(buf)
	if r, err := parseReply(string(buf[:n]), true); err != nil || !errors.Is(r.Err, ErrUnknownSession) {
		t.Errorf("a resume of an unknown session: %q (%v), want unknown-session", buf[:n], err)
	}
}
