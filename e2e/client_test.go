//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/devhub"
)

// ensureServer starts a server once for the whole run and reports the
// spawn time the first time.
func ensureServer(t *testing.T, user, server string) {
	t.Helper()
	suite.mu.Lock()
	defer suite.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	u, err := suite.hub.Admin().User(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if u.Servers[server].Running() {
		return
	}
	t0 := time.Now()
	if err := suite.hub.StartServer(ctx, user, server); err != nil {
		t.Fatalf("start %s/%s: %v", user, server, err)
	}
	t.Logf("measured: spawn of %s/%q took %.2f s", user, server, time.Since(t0).Seconds())
}

// client is one person's ssh setup for one server: a fresh key deployed, the
// host key pinned, a throwaway ssh config naming hubssh as ProxyCommand.
type client struct {
	dir, config, alias, token, identity string
}

func newClient(t *testing.T, user, server string) *client {
	t.Helper()
	ensureServer(t, user, server)
	c := newClientNoHostKey(t, user, server)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub, err := os.ReadFile(c.identity + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := suite.hub.DeployKey(ctx, user, server, pub); err != nil {
		t.Fatalf("deploy key through the control API: %v", err)
	}
	hostKey, err := suite.hub.HostKey(ctx, user, server)
	if err != nil {
		t.Fatal(err)
	}
	c.write(t, user, server, hostKey)
	return c
}

// newClientNoHostKey is a client for a server that is not running: no key
// deployed, no host key known yet.
func newClientNoHostKey(t *testing.T, user, server string) *client {
	t.Helper()
	dir := t.TempDir()
	key, _, err := devhub.NewKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{
		dir: dir, config: filepath.Join(dir, "ssh_config"), identity: key,
		alias: "hub-" + user + "-" + server, token: suite.hub.Token(user),
	}
	c.write(t, user, server, "")
	return c
}

func (c *client) write(t *testing.T, user, server, hostKey string) {
	t.Helper()
	cfg := devhub.SSHConfig{
		Alias: c.alias, Hubssh: suite.hubssh, User: user, Server: server,
		Identity: c.identity, KnownHosts: filepath.Join(c.dir, "known_hosts"),
	}
	if hostKey == "" {
		// Nothing to pin yet: a key nobody holds, so a connection that
		// got as far as the handshake would fail host key checking.
		hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	}
	if err := devhub.WriteClientFiles(c.config, suite.hub.URL.String(), cfg, hostKey); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// run runs an OpenSSH tool (ssh, sftp, scp) with the client's config; the
// token travels in the environment, as it would from a real setup.
func (c *client) run(t *testing.T, stdin string, tool string, args ...string) result {
	t.Helper()
	return c.runEnv(t, stdin, []string{"HUBSSH_TOKEN=" + c.token}, tool, args...)
}

func (c *client) runEnv(t *testing.T, stdin string, env []string, tool string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append([]string{"-F", c.config}, args...)
	cmd := exec.CommandContext(ctx, tool, full...)
	// A config directory of the client's own: the flag-form ProxyCommand
	// never reads the machine user's hubssh state.
	cmd.Env = append(append(os.Environ(), "HUBSSH_CONFIG_DIR="+filepath.Join(c.dir, "hubssh"), "HUBSSH_NO_KEYRING=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	t0 := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(t0)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	return r
}

// hubsshLines returns the lines hubssh itself wrote among ssh's stderr.
func hubsshLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "hubssh:") {
			out = append(out, l)
		}
	}
	return out
}
