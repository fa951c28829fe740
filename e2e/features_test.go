//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubssh/hubssh/internal/testutil"
)

// TestOpenSSHFeaturesThroughHub runs what people and Remote-SSH do with
// OpenSSH, every byte going through hubssh proxy, CHP and
// jupyter-server-proxy to hubsshd.
func TestOpenSSHFeaturesThroughHub(t *testing.T) {
	c := newClient(t, "alice", "")
	echo := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
	echoPort := echo.Addr().(*net.TCPAddr).Port

	t.Run("-N -L without a session", func(t *testing.T) {
		lp := testutil.FreePort(t)
		bg := c.background(t, "-N", "-o", "ExitOnForwardFailure=yes", "-L", fmt.Sprintf("%d:127.0.0.1:%d", lp, echoPort), c.alias)
		conn := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), bg)
		defer conn.Close()
		testutil.LineRoundTrip(t, conn, "via -L")
	})
	t.Run("-R", func(t *testing.T) {
		rp := testutil.FreePort(t)
		bg := c.background(t, "-N", "-o", "ExitOnForwardFailure=yes", "-R", fmt.Sprintf("%d:127.0.0.1:%d", rp, echoPort), c.alias)
		conn := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", rp), bg)
		defer conn.Close()
		testutil.LineRoundTrip(t, conn, "via -R")
	})
	t.Run("-L to a unix socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "s.sock")
		testutil.LineEcho(t, "unix", sock)
		lp := testutil.FreePort(t)
		bg := c.background(t, "-N", "-o", "ExitOnForwardFailure=yes", "-L", fmt.Sprintf("%d:%s", lp, sock), c.alias)
		conn := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), bg)
		defer conn.Close()
		testutil.LineRoundTrip(t, conn, "via a unix socket")
	})
	t.Run("-A and ssh-add -l", func(t *testing.T) {
		agent := testutil.StartAgent(t, c.identity)
		r := c.runEnv(t, "", []string{"SSH_AUTH_SOCK=" + agent}, "ssh", "-A", c.alias, "ssh-add -l")
		if r.code != 0 || !strings.Contains(r.stdout, "(ED25519)") {
			t.Errorf("exit %d, out %q, err %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("keepalive options", func(t *testing.T) {
		r := c.run(t, "", "ssh", "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2", c.alias, "sleep 3; echo alive")
		if r.code != 0 || r.stdout != "alive\n" {
			t.Errorf("exit %d, out %q, err %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("killed by a signal", func(t *testing.T) {
		// exit-signal, which OpenSSH turns into exit code 255.
		r := c.run(t, "", "ssh", c.alias, "kill -TERM $$")
		if r.code != 255 {
			t.Errorf("exit %d, want 255 for exit-signal; err %q", r.code, r.stderr)
		}
	})
	t.Run("shell without a pty", func(t *testing.T) {
		r := c.run(t, "echo $0; tty; exit 3\n", "ssh", "-T", c.alias)
		if r.code != 3 || r.stdout != "-bash\nnot a tty\n" {
			t.Errorf("exit %d, out %q", r.code, r.stdout)
		}
	})

	src := filepath.Join(c.dir, "file.bin")
	sum := writeRandom(t, src, 3<<20)
	home := suite.hub.Home("alice")
	for _, tt := range []struct {
		name string
		cmd  func() *exec.Cmd
		dest string
	}{
		{"scp (SFTP protocol)", func() *exec.Cmd { return exec.Command("scp", "-F", c.config, src, c.alias+":scp.bin") }, "scp.bin"},
		{"scp -O (legacy protocol)", func() *exec.Cmd { return exec.Command("scp", "-O", "-F", c.config, src, c.alias+":scp-O.bin") }, "scp-O.bin"},
		{"rsync", func() *exec.Cmd {
			return exec.Command("rsync", "-a", "-e", "ssh -F "+c.config, src, c.alias+":rsync.bin")
		}, "rsync.bin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := tt.cmd()
			cmd.Env = c.env()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got := fileSum(t, filepath.Join(home, tt.dest)); got != sum {
				t.Errorf("%s differs after transfer", tt.dest)
			}
			os.Remove(filepath.Join(home, tt.dest))
		})
	}
}
