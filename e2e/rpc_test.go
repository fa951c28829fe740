//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCIExample runs docs/examples/ci_run_on_hub.py, the documented way to
// drive hubssh serve from CI: named server started with progress, a
// command over ssh, the server stopped.
func TestCIExample(t *testing.T) {
	h := newUserHome(t)
	root, _ := filepath.Abs("..")
	script := filepath.Join(root, "docs", "examples", "ci_run_on_hub.py")
	env := append(h.env(), "HUB_TOKEN="+suite.hub.Token("carol"))
	r := h.runWithEnv(t, env, "", "python3", script, "--hub", suite.hub.URL.String(), "--server", "ci",
		"--hubssh", suite.hubssh, "--", `echo "ran in $JUPYTERHUB_SERVER_NAME"; exit 3`)
	if r.code != 3 || r.stdout != "ran in ci\n" {
		t.Fatalf("exit %d, out %q, err %q", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"logged in to", "% Server ready", "stopped server ci"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	u, err := suite.hub.Admin().User(ctx(t), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if u.Servers["ci"].Running() {
		t.Error("server ci still running after the script")
	}
	// A bad token fails with the hub's cause and hubssh's code.
	bad := append(h.env(), "HUB_TOKEN="+strings.Repeat("0", 32))
	r = h.runWithEnv(t, bad, "", "python3", script, "--hub", suite.hub.URL.String(), "--hubssh", suite.hubssh, "--", "true")
	if r.code != 2 || !strings.Contains(r.stderr, "rejected the token") || !strings.Contains(r.stderr, "code -32002, auth") {
		t.Errorf("bad token: exit %d err %q", r.code, r.stderr)
	}
}
