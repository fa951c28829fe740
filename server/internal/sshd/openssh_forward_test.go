package sshd

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/testutil"
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
	stderr := &testutil.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	o.lastStderr = stderr
}

func TestOpenSSHForwarding(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	echo := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
	echoPort := echo.Addr().(*net.TCPAddr).Port

	t.Run("-N -L without a session", func(t *testing.T) {
		lp := testutil.FreePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:127.0.0.1:%d", lp, echoPort))
		c := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o.lastStderr)
		defer c.Close()
		testutil.LineRoundTrip(t, c, "via -L")
	})
	t.Run("-D with a SOCKS5 request", func(t *testing.T) {
		lp := testutil.FreePort(t)
		o.background(t, "-D", fmt.Sprintf("127.0.0.1:%d", lp))
		c := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o.lastStderr)
		defer c.Close()
		testutil.SOCKS5Connect(t, c, echoPort)
		testutil.LineRoundTrip(t, c, "via SOCKS")
	})
	t.Run("-R", func(t *testing.T) {
		rp := testutil.FreePort(t)
		o.background(t, "-R", fmt.Sprintf("%d:127.0.0.1:%d", rp, echoPort))
		c := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", rp), o.lastStderr)
		defer c.Close()
		testutil.LineRoundTrip(t, c, "via -R")
	})
	t.Run("-L to a unix socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "remote.sock")
		testutil.LineEcho(t, "unix", sock)
		lp := testutil.FreePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:%s", lp, sock))
		c := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o.lastStderr)
		defer c.Close()
		testutil.LineRoundTrip(t, c, "via direct-streamlocal")
	})
	t.Run("-R from a unix socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "server-side.sock")
		o.background(t, "-R", fmt.Sprintf("%s:127.0.0.1:%d", sock, echoPort))
		c := testutil.DialRetry(t, "unix", sock, o.lastStderr)
		defer c.Close()
		testutil.LineRoundTrip(t, c, "via streamlocal-forward")
	})
	t.Run("refused -L names the reason", func(t *testing.T) {
		dead, lp := testutil.FreePort(t), testutil.FreePort(t)
		o.background(t, "-L", fmt.Sprintf("%d:127.0.0.1:%d", lp, dead))
		c := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), o.lastStderr)
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

func TestOpenSSHAgentForwarding(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	requireTool(t, "ssh-agent")
	requireTool(t, "ssh-add")
	sock := testutil.StartAgent(t, filepath.Join(o.dir, "id"))
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
