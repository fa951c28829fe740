package sshd

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// background starts an OpenSSH "ssh -N" with forwarding flags and stops it
// when the test ends.
func (o *openssh) background(t *testing.T, extra ...string) {
	t.Helper()
	// INFO before o.args' ERROR (ssh keeps the first value): channel open
	// failures are logged at INFO.
	args := append([]string{"-o", "LogLevel=INFO"}, o.args...)
	args = append(args, "-p", o.port, "-N", "-o", "ExitOnForwardFailure=yes")
	args = append(args, extra...)
	args = append(args, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ssh", args...)
	stderr := &logBuf{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	o.lastStderr = stderr
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dialWhenReady dials addr until it accepts (ssh needs a moment to set up).
func dialWhenReady(t *testing.T, network, addr string, o *openssh) net.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial(network, addr)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted: %v; ssh said %q", addr, err, o.lastStderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenSSHForwarding(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	echo := echoListener(t, "tcp", "127.0.0.1:0")
	echoPort := echo.Addr().(*net.TCPAddr).Port

	t.Run("-N -L without a session", func(t *testing.T) {
		lp := freePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:127.0.0.1:%d", lp, echoPort))
		c := dialWhenReady(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o)
		defer c.Close()
		roundTrip(t, c, "via -L")
	})
	t.Run("-D with a SOCKS5 request", func(t *testing.T) {
		lp := freePort(t)
		o.background(t, "-D", fmt.Sprintf("127.0.0.1:%d", lp))
		c := dialWhenReady(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o)
		defer c.Close()
		socks5Connect(t, c, echoPort)
		roundTrip(t, c, "via SOCKS")
	})
	t.Run("-R", func(t *testing.T) {
		rp := freePort(t)
		o.background(t, "-R", fmt.Sprintf("%d:127.0.0.1:%d", rp, echoPort))
		c := dialWhenReady(t, "tcp", fmt.Sprintf("127.0.0.1:%d", rp), o)
		defer c.Close()
		roundTrip(t, c, "via -R")
	})
	t.Run("-L to a unix socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "remote.sock")
		echoListener(t, "unix", sock)
		lp := freePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:%s", lp, sock))
		c := dialWhenReady(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o)
		defer c.Close()
		roundTrip(t, c, "via direct-streamlocal")
	})
	t.Run("-R from a unix socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "server-side.sock")
		o.background(t, "-R", fmt.Sprintf("%s:127.0.0.1:%d", sock, echoPort))
		c := dialWhenReady(t, "unix", sock, o)
		defer c.Close()
		roundTrip(t, c, "via streamlocal-forward")
	})
	t.Run("refused -L names the reason", func(t *testing.T) {
		dead, lp := freePort(t), freePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:127.0.0.1:%d", lp, dead))
		c := dialWhenReady(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c) // closed by ssh once the server refuses
		c.Close()
		want := "connect failed: connect to 127.0.0.1:" + fmt.Sprint(dead) + ": connection refused"
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(o.lastStderr.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("ssh said %q; want it to carry the server's reason %q", o.lastStderr.String(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// socks5Connect does a no-auth SOCKS5 CONNECT to 127.0.0.1:port on c.
func socks5Connect(t *testing.T, c net.Conn, port int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	c.Write([]byte{5, 1, 0})
	hello := make([]byte, 2)
	if _, err := io.ReadFull(c, hello); err != nil || hello[1] != 0 {
		t.Fatalf("SOCKS hello: %v %v", hello, err)
	}
	req := []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 0}
	binary.BigEndian.PutUint16(req[8:], uint16(port))
	c.Write(req)
	reply := make([]byte, 10)
	if _, err := io.ReadFull(c, reply); err != nil || reply[1] != 0 {
		t.Fatalf("SOCKS connect reply %v, %v", reply, err)
	}
}

func TestOpenSSHAgentForwarding(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	requireTool(t, "ssh-agent")
	requireTool(t, "ssh-add")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	dialWhenReady(t, "unix", sock, o).Close()
	key := filepath.Join(o.dir, "id")
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	// The remote ssh-add talks to the forwarded agent over SSH_AUTH_SOCK.
	cmd := exec.Command("ssh", append(append([]string{}, o.args...), "-p", o.port, "-A", "127.0.0.1", "ssh-add -l")...)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ssh -A … ssh-add -l: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "ED25519") {
		t.Errorf("forwarded agent lists %q, want the ed25519 key", out)
	}
}

func TestOpenSSHLegacyScpAndRsync(t *testing.T) {
	// scp -O and rsync run their own binaries in the server through exec;
	// they work when the image has them (this machine has both).
	f := newFixture(t)
	o := startOpenSSH(t, f)
	requireTool(t, "rsync")
	src := filepath.Join(o.dir, "legacy.txt")
	os.WriteFile(src, []byte("legacy scp and rsync\n"), 0o600)

	if _, errOut, code := o.run(t, "scp", []string{"-O", src, "127.0.0.1:scp-O.txt"}, ""); code != 0 {
		t.Fatalf("scp -O exit %d: %s", code, errOut)
	}
	rsh := "ssh " + strings.Join(append(append([]string{}, o.args...), "-p", o.port), " ")
	rs := exec.Command("rsync", "-a", "-e", rsh, src, "127.0.0.1:rsync.txt")
	if out, err := rs.CombinedOutput(); err != nil {
		t.Fatalf("rsync: %v: %s", err, out)
	}
	for _, name := range []string{"scp-O.txt", "rsync.txt"} {
		b, err := os.ReadFile(filepath.Join(f.home, name))
		if err != nil || string(b) != "legacy scp and rsync\n" {
			t.Errorf("%s on the server: %q, %v", name, b, err)
		}
	}
}
