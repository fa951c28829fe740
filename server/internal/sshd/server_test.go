package sshd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestUnknownKeyRejected(t *testing.T) {
	f := newFixture(t)
	if c, err := f.dial(t, newSigner(t)); err == nil {
		c.Close()
		t.Fatal("a key not in authorized_keys was accepted")
	}
}

func TestKeyAddedLaterWorks(t *testing.T) {
	// Keys are read on each attempt: a freshly deployed key works at once.
	f := newFixture(t)
	other := newSigner(t)
	if _, err := f.dial(t, other); err == nil {
		t.Fatal("key accepted before it was authorized")
	}
	authorize(t, f.home, other.PublicKey())
	c, err := f.dial(t, other)
	if err != nil {
		t.Fatalf("key authorized after start refused: %v", err)
	}
	c.Close()
}

func TestReadinessProbeIsQuiet(t *testing.T) {
	// jupyter-server-proxy checks readiness by connecting and closing at
	// once; that must end the handler promptly and log nothing.
	f := newFixture(t)
	cs, ss := socketPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.HandleConn(context.Background(), ss)
	}()
	cs.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("HandleConn still running after the probe closed")
	}
	if strings.Contains(f.logs.String(), "handshake failed") {
		t.Errorf("probe was logged as a failure:\n%s", f.logs.String())
	}
}

func TestGlobalRequestsAnswered(t *testing.T) {
	f := newFixture(t)
	c := f.mustDial(t)
	for _, name := range []string{"keepalive@openssh.com", "no-more-sessions@openssh.com", "x-unknown@example.org"} {
		ok, _, err := c.SendRequest(name, true, nil)
		if err != nil {
			t.Fatalf("%s: %v (the connection must survive)", name, err)
		}
		if ok {
			t.Errorf("%s answered success, want failure", name)
		}
	}
	if _, err := c.NewSession(); err != nil {
		t.Fatalf("connection unusable after global requests: %v", err)
	}
}

func TestUnknownChannelRejected(t *testing.T) {
	f := newFixture(t)
	c := f.mustDial(t)
	_, _, err := c.OpenChannel("x-unknown@example.org", nil)
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.UnknownChannelType {
		t.Fatalf("OpenChannel = %v, want UnknownChannelType", err)
	}
}

func TestBannerIsOurs(t *testing.T) {
	f := newFixture(t)
	c := f.mustDial(t)
	if v := string(c.ServerVersion()); !strings.HasPrefix(v, "SSH-2.0-hubsshd_") {
		t.Errorf("server version %q; must be hubsshd's own, never an OpenSSH look-alike", v)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	f := newFixture(t)
	ln, cancel, served := f.serveTCP(t)
	c, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
		User: "x", Auth: []ssh.AuthMethod{ssh.PublicKeys(f.client)},
		HostKeyCallback: ssh.FixedHostKey(f.hostKey), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Wait() }()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("open connection not closed on shutdown")
	}
}

// flakyListener fails its first Accepts, as a process out of file
// descriptors would, then behaves.
type flakyListener struct {
	net.Listener
	fails int
}

func (f *flakyListener) Accept() (net.Conn, error) {
	if f.fails > 0 {
		f.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return f.Listener.Accept()
}

func TestServeSurvivesAcceptErrors(t *testing.T) {
	f := newFixture(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, &flakyListener{Listener: inner, fails: 2}) }()
	defer func() { cancel(); <-served }()
	c, err := ssh.Dial("tcp", inner.Addr().String(), &ssh.ClientConfig{
		User: "x", Auth: []ssh.AuthMethod{ssh.PublicKeys(f.client)},
		HostKeyCallback: ssh.FixedHostKey(f.hostKey), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("after two failed accepts the server no longer serves: %v", err)
	}
	c.Close()
	if !strings.Contains(f.logs.String(), "accept failed; retrying") {
		t.Errorf("the retries were not logged:\n%s", f.logs.String())
	}
}

// TestEveryHostKeyAlgorithm: a client that knows only one host key
// algorithm connects with it and sees the key LoadOrCreateHostKeys made;
// SHA-1 "ssh-rsa" is not offered (#16).
func TestEveryHostKeyAlgorithm(t *testing.T) {
	keys, err := LoadOrCreateHostKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	srv, err := New(Config{HostKeys: keys, AuthorizedKeysFiles: f.srv.cfg.AuthorizedKeysFiles, Home: f.home, Shell: "/bin/sh", Log: f.srv.log, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		algo string
		key  int // index in keys, or -1: no common algorithm
	}{
		{ssh.KeyAlgoED25519, 0},
		{ssh.KeyAlgoECDSA256, 1},
		{ssh.KeyAlgoRSASHA512, 2},
		{ssh.KeyAlgoRSASHA256, 2},
		{ssh.KeyAlgoRSA, -1},
	}
	for _, tt := range tests {
		t.Run(tt.algo, func(t *testing.T) {
			cs, ss := socketPair(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go srv.HandleConn(ctx, ss)
			defer cs.Close()
			var seen ssh.PublicKey
			cfg := &ssh.ClientConfig{
				User: "anyone", Auth: []ssh.AuthMethod{ssh.PublicKeys(f.client)},
				HostKeyAlgorithms: []string{tt.algo},
				HostKeyCallback:   func(_ string, _ net.Addr, k ssh.PublicKey) error { seen = k; return nil },
				Timeout:           5 * time.Second,
			}
			c, _, _, err := ssh.NewClientConn(cs, "pipe", cfg)
			if tt.key < 0 {
				if err == nil || !strings.Contains(err.Error(), "no common algorithm") {
					t.Fatalf("err = %v, want no common algorithm", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !bytes.Equal(seen.Marshal(), keys[tt.key].PublicKey().Marshal()) {
				t.Errorf("host key %s, want %s", seen.Type(), keys[tt.key].PublicKey().Type())
			}
		})
	}
}

// TestClosedConnectionsAreToldWhy: a session whose connection hubsshd
// closes for the idle limit, or for shutdown, gets the reason on its
// stderr first, which ssh prints (#11).
func TestClosedConnectionsAreToldWhy(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture) (trigger func())
		want  string
	}{
		{"idle limit", func(f *fixture) func() {
			f.srv.cfg.IdleTimeout = 300 * time.Millisecond
			return func() {}
		}, "hubsshd: closing this connection: no use for 300ms, this server's idle limit\r\n"},
		{"shutdown", func(f *fixture) func() { return f.srv.closeAll }, "hubsshd: hubsshd is shutting down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			trigger := tt.setup(f)
			c := f.mustDial(t)
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			s.Stderr = &stderr
			// Short: the command outlives its connection by design.
			if err := s.Start("sleep 3"); err != nil {
				t.Fatal(err)
			}
			// Wait for the server to know the session before shutting down.
			for i := 0; i < 200 && len(f.srv.sessionsOf()) == 0; i++ {
				time.Sleep(5 * time.Millisecond)
			}
			f.killCommandsAtEnd(t)
			trigger()
			done := make(chan error, 1)
			go func() { done <- s.Wait() }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the connection was not closed")
			}
			if !strings.HasPrefix(stderr.String(), tt.want) {
				t.Errorf("stderr %q, want it to begin %q", stderr.String(), tt.want)
			}
		})
	}
}

// TestShutdownEndsHandshakes: a client that connected and said nothing
// (as one waiting at a passphrase prompt) does not hold Serve's return
// for the handshake timeout.
func TestShutdownEndsHandshakes(t *testing.T) {
	f := newFixture(t)
	f.srv.cfg.HandshakeTimeout = time.Minute
	ln, cancel, served := f.serveTCP(t)
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	banner := make([]byte, 8)
	if _, err := io.ReadFull(nc, banner); err != nil { // the server's banner: the handshake is under way
		t.Fatal(err)
	}
	t0 := time.Now()
	cancel()
	select {
	case <-served:
		t.Logf("Serve returned %s after cancel, a handshake open", time.Since(t0).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("a client in the handshake held Serve after cancel")
	}
}

// serveTCP runs the fixture's Serve on a loopback port until cancel.
func (f *fixture) serveTCP(t *testing.T) (net.Listener, context.CancelFunc, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, ln) }()
	return ln, cancel, served
}
