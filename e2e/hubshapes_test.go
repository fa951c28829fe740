//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/devhub"
)

// TestSubdomainHub: a hub with c.JupyterHub.subdomain_host serves each
// user's server on its own host (sam.localhost here), and reports that URL
// in its model. login, connect, ssh, sftp and doctor all reach it (#16);
// before, login worked and connect said the server "refused the token".
func TestSubdomainHub(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hub, err := devhub.Start(ctx, devhub.Options{
		Venv: suite.venv, CHP: suite.chp, Hubsshd: suite.hubsshd,
		Dir: filepath.Join(t.TempDir(), "hub"), Users: []string{"sam"}, Subdomains: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(hub.LogTail(60))
		}
		hub.Close()
	})
	h := newUserHome(t)
	if r := h.hubssh(t, hub.Token("sam")+"\n", "login", "--token-stdin", hub.URL.String()); r.code != 0 {
		t.Fatalf("hubssh login %s: exit %d: %s", hub.URL, r.code, r.stderr)
	}
	r := h.hubssh(t, "", "connect", "--prepare-only")
	var p struct{ Alias, Folder string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("hubssh connect --prepare-only: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	state, _ := os.ReadFile(filepath.Join(h.dir, ".config", "hubssh", "hubs.json"))
	if !strings.Contains(string(state), `"url": "http://sam.localhost:`+hub.URL.Port()+`/user/sam/"`) {
		t.Errorf("the server's URL on its own host is not recorded:\n%s", state)
	}
	cfg := filepath.Join(h.dir, ".ssh", "config")
	if r := h.run(t, "", "ssh", "-F", cfg, p.Alias, "echo", "sub-ok", "$PWD"); r.code != 0 || r.stdout != "sub-ok "+p.Folder+"\n" {
		t.Fatalf("ssh: exit %d, out %q, err %q", r.code, r.stdout, r.stderr)
	}
	local := filepath.Join(t.TempDir(), "f.bin")
	sum := writeRandom(t, local, 1<<20)
	if r := h.run(t, "put "+local+" f.bin\nget f.bin "+local+".back\n", "sftp", "-b", "-", "-F", cfg, p.Alias); r.code != 0 {
		t.Fatalf("sftp: exit %d: %s", r.code, r.stderr)
	}
	if got := fileSum(t, local+".back"); got != sum {
		t.Errorf("sha256 after sftp put and get: %s, want %s", got, sum)
	}
	if r := h.hubssh(t, "", "doctor"); r.code != 0 || !strings.Contains(r.stdout, "sshd: SSH-2.0-hubsshd_") || !strings.Contains(r.stdout, "host key: pinned") {
		t.Errorf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The flag form (CI) finds the server on its host as well; -o wins
	// over the config's ProxyCommand.
	env := append(h.env(), "HUBSSH_TOKEN="+hub.Token("sam"))
	flagForm := "ProxyCommand=" + suite.hubssh + " proxy --hub " + hub.URL.String()
	if r := h.runWithEnv(t, env, "", "ssh", "-F", cfg, "-o", flagForm, p.Alias, "echo", "flag-ok"); r.code != 0 || r.stdout != "flag-ok\n" {
		t.Errorf("ssh with hubssh proxy --hub: exit %d, out %q, err %q", r.code, r.stdout, r.stderr)
	}
}
