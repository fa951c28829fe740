package sshd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/testutil"
	"golang.org/x/crypto/ssh"
)

func TestDirectTCPIP(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t) // no session is ever opened: ssh -N -L
	ln := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
	c, err := client.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testutil.LineRoundTrip(t, c, "hello")
	testutil.LineRoundTrip(t, c, "again")
}

func TestDirectStreamLocal(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	path := filepath.Join(t.TempDir(), "s.sock")
	testutil.LineEcho(t, "unix", path)
	c, err := client.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testutil.LineRoundTrip(t, c, "over a unix socket")
}

func TestDirectDialFailureReason(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err := client.Dial("tcp", addr)
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ConnectionFailed || !strings.Contains(oce.Message, "connection refused") {
		t.Fatalf("err = %v, want ConnectionFailed naming the refusal", err)
	}
}

func TestRemoteForward(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	tests := []struct {
		name, addr string
		wantErr    bool
	}{
		{name: "loopback, port 0", addr: "127.0.0.1:0"},
		{name: "wildcard becomes loopback", addr: "0.0.0.0:0"},
		{name: "non-loopback refused", addr: "192.0.2.1:0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := client.Listen("tcp", tt.addr)
			if tt.wantErr {
				if err == nil {
					ln.Close()
					t.Fatal("listen accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() && !ip.IsUnspecified() {
				t.Errorf("listener address %s", ln.Addr())
			}
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				io.Copy(c, c)
			}()
			port := ln.Addr().(*net.TCPAddr).Port
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatalf("dial the server-side listener: %v", err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte("ping\n"))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "ping\n" {
				t.Fatalf("through the remote forward: %q, %v", line, err)
			}
			if err := ln.Close(); err != nil {
				t.Fatalf("cancel forward: %v", err)
			}
			// After cancel the port is free again.
			time.Sleep(50 * time.Millisecond)
			if c2, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c2.Close()
				t.Error("listener still open after cancel-tcpip-forward")
			}
		})
	}
}

func TestRemoteForwardClosedWithConnection(t *testing.T) {
	f := newFixture(t)
	client, err := f.dial(t, f.client)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := client.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sock := filepath.Join(t.TempDir(), "r.sock")
	if _, err := client.ListenUnix(sock); err != nil {
		t.Fatal(err)
	}
	client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		_, statErr := os.Stat(sock)
		if err != nil && os.IsNotExist(statErr) {
			return
		}
		if c != nil {
			c.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("remote forwards outlived their connection (orphaned listener)")
}

func TestKeepaliveDropsDeadClient(t *testing.T) {
	f := newFixture(t)
	f.srv.cfg.KeepaliveInterval = 50 * time.Millisecond
	f.srv.cfg.KeepaliveCountMax = 3
	cs, ss := socketPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.HandleConn(context.Background(), ss)
	}()
	defer cs.Close()
	// A client that never services its global requests: like a laptop
	// that vanished, it will never reply.
	_, _, _, err := ssh.NewClientConn(cs, "pipe", &ssh.ClientConfig{
		User: "x", Auth: []ssh.AuthMethod{ssh.PublicKeys(f.client)},
		HostKeyCallback: ssh.FixedHostKey(f.hostKey),
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("server kept a connection whose client never answers keepalives")
	}
	if !strings.Contains(f.logs.String(), "stopped answering keepalives") {
		t.Errorf("log does not say why:\n%s", f.logs.String())
	}
}

func TestKeepaliveKeepsLiveClient(t *testing.T) {
	f := newFixture(t)
	f.srv.cfg.KeepaliveInterval = 20 * time.Millisecond
	client := f.mustDial(t)
	time.Sleep(300 * time.Millisecond) // ~15 keepalives
	if _, err := client.NewSession(); err != nil {
		t.Fatalf("a client that answers keepalives was dropped: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	f := newFixture(t)
	f.srv.cfg.IdleTimeout = 400 * time.Millisecond
	f.srv.cfg.KeepaliveInterval = 20 * time.Millisecond // keepalives are not use
	busy := f.mustDial(t)
	idle := f.mustDial(t)
	idleClosed := make(chan struct{})
	go func() { idle.Wait(); close(idleClosed) }()
	s, err := busy.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := s.StdoutPipe()
	// Output every 100 ms for 1.2 s: three idle limits long, never idle.
	if err := s.Start("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo $i; sleep 0.1; done"); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, out)
	select {
	case <-idleClosed:
	case <-time.After(3 * time.Second):
		t.Fatal("idle connection not closed after the idle limit")
	}
	if err := s.Wait(); err != nil {
		t.Fatalf("busy connection was cut: %v", err)
	}
}

func TestAgentForwardingRequest(t *testing.T) {
	_, s := newSession(t)
	ok, err := s.SendRequest("auth-agent-req@openssh.com", true, nil)
	if err != nil || !ok {
		t.Fatalf("auth-agent-req: ok=%v err=%v; ssh2 needs success here", ok, err)
	}
	out, err := s.Output(`test -S "$SSH_AUTH_SOCK" && stat -c %a "$SSH_AUTH_SOCK" "$(dirname "$SSH_AUTH_SOCK")"`)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != "600" || got[1] != "700" {
		t.Errorf("socket and dir modes %q, want 600 and 700", out)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		f := newFixture(t)
		client, err := f.dial(t, f.client)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := client.NewSession()
		s.SendRequest("auth-agent-req@openssh.com", true, nil)
		s.Run("echo hi")
		ln := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
		if c, err := client.Dial("tcp", ln.Addr().String()); err == nil {
			testutil.LineRoundTrip(t, c, "x")
			c.Close()
		}
		client.Listen("tcp", "127.0.0.1:0")
		client.Close()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before+2 { // the fixture's echo listener may linger until cleanup
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after the connection ended:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAgentSocketPerConnection(t *testing.T) {
	// ssh2 asks once, on its first exec, and expects later sessions to
	// have the agent too; the socket goes away with the connection.
	f := newFixture(t)
	client, err := f.dial(t, f.client)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := client.NewSession()
	if ok, err := first.SendRequest("auth-agent-req@openssh.com", true, nil); !ok || err != nil {
		t.Fatalf("auth-agent-req: %v %v", ok, err)
	}
	first.Run("true")
	second, _ := client.NewSession()
	out, err := second.Output(`echo "$SSH_AUTH_SOCK"`)
	sock := strings.TrimSpace(string(out))
	if err != nil || sock == "" {
		t.Fatalf("second session has no SSH_AUTH_SOCK (%v)", err)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("agent socket %s: %v", sock, err)
	}
	client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Dir(sock)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("agent socket dir left after the connection closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
