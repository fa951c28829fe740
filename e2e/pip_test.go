//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPipInstalledHubsshd: hubsshd installed as docs/hubsshd.md tells an
// admin, with nothing but pip (scripts/image-envs ran the docs' lines with
// the wheel scripts/wheel built), serves the whole journey: hubssh login,
// connect (the control API through the package's sshd-control entry), ssh,
// sftp both ways, doctor. No jupyter-server-proxy configuration exists for
// these servers: they run with an empty Jupyter config directory.
func TestPipInstalledHubsshd(t *testing.T) {
	for _, tt := range []struct {
		user, how, where string
		idleLimit        time.Duration // HUBSSHD_IDLE_TIMEOUT in the server's environment
	}{
		{"ivy", "Dockerfile: pip install jupyter-hubsshd", suite.imagePip, 0},
		{"jo", "init container: pip install --target, PYTHONPATH", suite.imageTarget, 3 * time.Second},
	} {
		t.Run(tt.how, func(t *testing.T) {
			noServerProxyConfig(t, tt.where, filepath.Join(suite.hub.Dir, "jupyter-config-image"))
			h := loginAndConnect(t, tt.user) // starts the server: it was never running
			if r := h.ssh(t, `echo "$JUPYTERHUB_USER"`); r.code != 0 || r.stdout != tt.user+"\n" {
				t.Fatalf("ssh: exit %d out %q err %q", r.code, r.stdout, r.stderr)
			}
			// The hubsshd serving it is the one inside the installed package.
			exe := hubsshdOf(t, tt.user)
			if !strings.HasPrefix(exe, tt.where+"/") || !strings.HasSuffix(exe, "/jupyter_hubsshd/bin/hubsshd") {
				t.Errorf("%s's hubsshd runs from %s, want the package's binary under %s", tt.user, exe, tt.where)
			}
			src := filepath.Join(h.dir, "up.bin")
			sum := writeRandom(t, src, 8<<20)
			back := filepath.Join(h.dir, "back.bin")
			batch := fmt.Sprintf("put %s up.bin\nget up.bin %s\n", src, back)
			if r := h.run(t, batch, "sftp", "-q", "-F", h.config, "-b", "-", h.alias); r.code != 0 {
				t.Fatalf("sftp: exit %d: %s", r.code, r.stderr)
			}
			if got := fileSum(t, filepath.Join(suite.hub.Home(tt.user), "up.bin")); got != sum {
				t.Errorf("uploaded file has checksum %s, want %s", got, sum)
			}
			if got := fileSum(t, back); got != sum {
				t.Errorf("downloaded file has checksum %s, want %s", got, sum)
			}
			// What docs/hubsshd.md tells an admin to look for.
			r := h.hubssh(t, "", "doctor")
			for _, want := range []string{"ok    server " + h.alias + ": running\n", "ok    server " + h.alias + ": sshd: SSH-2.0-hubsshd_", "ok    server " + h.alias + ": host key: pinned in "} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("doctor lacks %q:\n%s", want, r.stdout)
				}
			}
			// The idle limit of docs/hubsshd.md ("Idle culling"): a session
			// that carries nothing is closed after it, one that does is not.
			if tt.idleLimit > 0 {
				t0 := time.Now()
				// With a pty, as a terminal has: the closed pty hangs up the
				// command (a command without one runs on, as under sshd).
				r := h.run(t, "", "ssh", "-F", h.config, "-tt", h.alias, "sleep 60")
				took := time.Since(t0)
				if r.code == 0 || took < tt.idleLimit || took > 4*tt.idleLimit+5*time.Second {
					t.Errorf("an idle session ended after %s with exit %d; want it closed soon after %s", took.Round(time.Millisecond), r.code, tt.idleLimit)
				}
				t.Logf("measured: HUBSSHD_IDLE_TIMEOUT=%s closed an idle session after %.1f s", tt.idleLimit, took.Seconds())
			}
			if err := suite.hub.StopServer(ctx(t), tt.user, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// noServerProxyConfig fails unless no Jupyter configuration under the
// directories defines jupyter-server-proxy servers: the entries must come
// from the package's entry points alone.
func noServerProxyConfig(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() || !(strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".py")) || !strings.Contains(p, "etc/jupyter") && !strings.Contains(p, "jupyter-config") {
				return nil
			}
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("ServerProxy")) {
				t.Errorf("%s configures ServerProxy: the test would not prove the entry points work", p)
			}
			return nil
		})
	}
}

// hubsshdOf returns the executable of the hubsshd serving SSH for user's
// default server on this suite's hub.
func hubsshdOf(t *testing.T, user string) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(env, []byte("JUPYTERHUB_USER="+user+"\x00")) || !bytes.Contains(env, []byte(devhubMarker())) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if len(args) > 1 && args[1] == "--socket" {
			exe, _ := os.Readlink(filepath.Join(filepath.Dir(p), "exe"))
			return exe
		}
	}
	t.Fatalf("no hubsshd --socket process for %s on this hub", user)
	return ""
}
