package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// fixture is a Server with a home, a host key and one authorized client key.
type fixture struct {
	srv     *Server
	home    string
	state   string
	client  ssh.Signer
	hostKey ssh.PublicKey
	logs    *logBuf
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{home: filepath.Join(dir, "home"), state: filepath.Join(dir, "state"), logs: &logBuf{}}
	if err := os.MkdirAll(filepath.Join(f.home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The ed25519 key alone: RSA generation would cost every test up to
	// 0.6 s; TestEveryHostKeyAlgorithm covers the others.
	hk, err := loadOrCreate(f.state, HostKeyTypes[0])
	if err != nil {
		t.Fatal(err)
	}
	f.hostKey = hk.PublicKey()
	f.client = newSigner(t)
	authorize(t, f.home, f.client.PublicKey())
	f.srv, err = New(Config{
		HostKeys:            []ssh.Signer{hk},
		AuthorizedKeysFiles: []string{filepath.Join(f.home, ".ssh", "authorized_keys")},
		Home:                f.home,
		Shell:               "/bin/bash",
		User:                "tester",
		Env:                 []string{"PATH=" + os.Getenv("PATH"), "FROM_SERVER=1"},
		Version:             "test",
		Log:                 slog.New(slog.NewTextHandler(f.logs, nil)),
		HandshakeTimeout:    5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorize(t *testing.T, home string, pub ssh.PublicKey) {
	t.Helper()
	p := filepath.Join(home, ".ssh", "authorized_keys")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(ssh.MarshalAuthorizedKey(pub))
}

// socketPair returns two connected unix stream sockets: the transport
// hubsshd really gets from jupyter-server-proxy, buffered like a kernel
// socket (net.Pipe is not, and both SSH sides write their banner first).
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	// SOCK_CLOEXEC is Linux-only; set close-on-exec after, portably.
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	conn := func(fd int, name string) net.Conn {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return conn(fds[0], "client"), conn(fds[1], "server")
}

// dial connects an x/crypto client to the fixture over a socket pair.
// The connection is closed, and its handler awaited, when the test ends.
func (f *fixture) dial(t *testing.T, signer ssh.Signer) (*ssh.Client, error) {
	t.Helper()
	cs, ss := socketPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.HandleConn(ctx, ss)
	}()
	t.Cleanup(func() {
		cancel()
		cs.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("HandleConn did not return 5 s after the connection closed")
		}
	})
	cfg := &ssh.ClientConfig{
		User:            "anyone",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(f.hostKey),
		Timeout:         5 * time.Second,
	}
	c, chans, reqs, err := ssh.NewClientConn(cs, "pipe", cfg)
	if err != nil {
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

func (f *fixture) mustDial(t *testing.T) *ssh.Client {
	t.Helper()
	c, err := f.dial(t, f.client)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// logBuf collects the server's log; its goroutines write concurrently.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sessionsOf lists the sessions open on every connection (tests).
func (s *Server) sessionsOf() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session
	for c := range s.conns {
		c.mu.Lock()
		for sess := range c.sessions {
			out = append(out, sess)
		}
		c.mu.Unlock()
	}
	return out
}

// killCommandsAtEnd kills, when the test ends, the command of every session
// open now. Commands outlive their connection by design (Remote-SSH's
// server does); a test must still not leave them, and the goroutines that
// wait for them, behind for goleak to find.
func (f *fixture) killCommandsAtEnd(t *testing.T) {
	t.Helper()
	for _, sess := range f.srv.sessionsOf() {
		sess.mu.Lock()
		p := sess.proc
		sess.mu.Unlock()
		if p == nil {
			t.Fatal("killCommandsAtEnd: a session has no command yet")
		}
		// Commands run in their own session (setsid): the group is theirs.
		t.Cleanup(func() { syscall.Kill(-p.Pid, syscall.SIGKILL) })
	}
}
