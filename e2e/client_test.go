//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// client is one person's ssh setup for one server, made the way a user
// makes it: "hubssh login" with the user's token, then "hubssh connect"
// (key deployed, host keys pinned, the alias written into ~/.ssh/config).
// Tools then run with that config and nothing else: no token in the
// environment, the stored one is used.
type client struct {
	*userHome
	config, alias, token, identity string
}

func newClient(t *testing.T, user, server string) *client {
	t.Helper()
	ensureServer(t, user, server)
	c := &client{userHome: newUserHome(t), token: suite.hub.Token(user)}
	c.config = filepath.Join(c.dir, ".ssh", "config")
	if r := c.hubssh(t, c.token+"\n", "login", "--token-stdin", suite.hub.URL.String()); r.code != 0 {
		t.Fatalf("hubssh login: exit %d: %s", r.code, r.stderr)
	}
	args := []string{"connect", "--prepare-only"}
	if server != "" {
		args = append(args, "--server", server)
	}
	r := c.hubssh(t, "", args...)
	var p struct{ Alias string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("hubssh %s: exit %d: %s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	c.alias = p.Alias
	g := c.run(t, "", "ssh", "-G", c.alias)
	for _, line := range strings.Split(g.stdout, "\n") {
		if k, v, _ := strings.Cut(line, " "); k == "identityfile" && c.identity == "" {
			c.identity = v
		}
	}
	if c.identity == "" {
		t.Fatalf("ssh -G %s names no IdentityFile:\n%s%s", c.alias, g.stdout, g.stderr)
	}
	return c
}

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// run runs an OpenSSH tool (ssh, sftp, scp) with the client's config.
func (c *client) run(t *testing.T, stdin string, tool string, args ...string) result {
	t.Helper()
	return c.runEnv(t, stdin, nil, tool, args...)
}

// runEnv is run with env added to the user's environment.
func (c *client) runEnv(t *testing.T, stdin string, env []string, tool string, args ...string) result {
	t.Helper()
	return c.runWithEnv(t, append(c.env(), env...), stdin, tool, append([]string{"-F", c.config}, args...)...)
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
