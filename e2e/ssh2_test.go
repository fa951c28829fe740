//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/testutil"
)

// TestOpenRemoteSSH runs e2e/ssh2/open-remote-ssh.js with both ssh2
// releases open-remote-ssh ships or may ship, through hubssh proxy and the
// real hub, with a real ssh-agent forwarded.
func TestOpenRemoteSSH(t *testing.T) {
	c := newClient(t, "alice", "")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install Node.js (scripts/setup checks for it)")
	}
	root, _ := filepath.Abs("..")
	tcp := testutil.LineEcho(t, "tcp", "127.0.0.1:0")
	sockPath := filepath.Join(t.TempDir(), "fwd.sock")
	testutil.LineEcho(t, "unix", sockPath)
	agentSock := testutil.StartAgent(t, c.identity)

	for _, version := range []string{"1.14", "1.17"} {
		t.Run("ssh2@"+version, func(t *testing.T) {
			mod := filepath.Join(root, "node_modules", "ssh2-"+version)
			if _, err := os.Stat(mod); err != nil {
				t.Fatalf("%s missing: run scripts/setup (npm ci)", mod)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "ssh2", "open-remote-ssh.js"))
			cmd.Env = append(c.env(),
				"SSH2_MODULE="+mod, "HUBSSH="+suite.hubssh, "ALIAS="+c.alias,
				"HUB_USER=alice", "KEY="+c.identity, "AGENT_SOCK="+agentSock,
				fmt.Sprintf("FORWARD_PORT=%d", tcp.Addr().(*net.TCPAddr).Port), "FORWARD_SOCK="+sockPath,
			)
			out, err := cmd.Output()
			var res struct {
				Error       string   `json:"error"`
				Auth        []string `json:"auth"`
				Uname       string   `json:"uname"`
				Script      []string `json:"script"`
				ScriptCode  int      `json:"scriptCode"`
				ScriptBytes int      `json:"scriptBytes"`
				TCP         string   `json:"tcp"`
				Unix        string   `json:"unix"`
			}
			if jerr := json.Unmarshal(out, &res); jerr != nil {
				t.Fatalf("script output %q (%v): %v", out, err, jerr)
			}
			if err != nil || res.Error != "" {
				t.Fatalf("open-remote-ssh sequence failed: %s (%v)", res.Error, err)
			}
			if strings.Join(res.Auth, ",") != "none,publickey" {
				t.Errorf("auth sequence %v", res.Auth)
			}
			if res.Uname != "Linux" {
				t.Errorf("uname -s = %q", res.Uname)
			}
			if res.ScriptBytes < 11000 || res.ScriptCode != 0 || len(res.Script) < 2 ||
				!strings.HasPrefix(res.Script[0], "script-ok shell=bash home="+suite.hub.Home("alice")) {
				t.Errorf("install script: exit %d, %d bytes, output %q", res.ScriptCode, res.ScriptBytes, res.Script)
			}
			if !strings.HasPrefix(res.Script[len(res.Script)-1], "agent-key (ED25519)") {
				t.Errorf("forwarded agent not usable in the script: %q", res.Script)
			}
			if res.TCP != "echo:over direct-tcpip" || res.Unix != "echo:over direct-streamlocal" {
				t.Errorf("forwards: tcp %q unix %q", res.TCP, res.Unix)
			}
		})
	}
}
