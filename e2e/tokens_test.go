//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/hubapi"
)

// The token lifecycle of docs/cli.md ("Tokens"), walked as a user walks
// it: "hubssh login" with a token the user created, "hubssh connect", then
// plain ssh through the config hubssh wrote. Each test has a user of its
// own, since they revoke tokens and restart servers.

// loginToken mints a token for user as the hub's token page would (the
// user's full permissions unless scopes are given) and returns its ID too.
func loginToken(t *testing.T, user string, scopes ...string) hubapi.Token {
	t.Helper()
	tok, err := suite.hub.Admin().NewToken(ctx(t), user, hubapi.TokenRequest{Note: "login token for " + t.Name(), Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// revokeToken deletes one token, as the user would on the hub's token page.
func revokeToken(t *testing.T, user, id string) {
	t.Helper()
	if err := suite.hub.Admin().DeleteToken(ctx(t), user, id); err != nil {
		t.Fatal(err)
	}
}

// serverTokens lists user's tokens that hubssh minted, as the hub sees them.
func serverTokens(t *testing.T, user string) []hubapi.TokenInfo {
	t.Helper()
	list, err := suite.hub.Admin().ListTokens(ctx(t), user)
	if err != nil {
		t.Fatal(err)
	}
	var out []hubapi.TokenInfo
	for _, tk := range list {
		if strings.HasPrefix(tk.Note, "hubssh: short-lived") {
			out = append(out, tk)
		}
	}
	return out
}

// revokeServerTokens revokes every token hubssh minted for user, and
// restarts the server so that it forgets the tokens it had checked
// (jupyterhub-singleuser caches a good token for 5 minutes).
func revokeServerTokens(t *testing.T, user string) {
	t.Helper()
	toks := serverTokens(t, user)
	if len(toks) == 0 {
		t.Fatal("hubssh minted no server token to revoke")
	}
	for _, tk := range toks {
		revokeToken(t, user, tk.ID)
	}
	if err := suite.hub.StopServer(ctx(t), user, ""); err != nil {
		t.Fatal(err)
	}
	ensureServer(t, user, "")
}

// loggedIn is a user home after "hubssh login" and "hubssh connect".
type loggedIn struct {
	*userHome
	alias, config string
	login         hubapi.Token
}

func loginAndConnect(t *testing.T, user string) *loggedIn {
	t.Helper()
	h := &loggedIn{userHome: newUserHome(t), config: "", login: loginToken(t, user)}
	h.config = filepath.Join(h.dir, ".ssh", "config")
	if r := h.hubssh(t, h.login.Token+"\n", "login", "--token-stdin", suite.hub.URL.String()); r.code != 0 {
		t.Fatalf("hubssh login --token-stdin URL: exit %d: %s", r.code, r.stderr)
	}
	r := h.hubssh(t, "", "connect", "--prepare-only")
	var p struct{ Alias string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("hubssh connect --prepare-only: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	h.alias = p.Alias
	return h
}

func (h *loggedIn) ssh(t *testing.T, args ...string) result {
	t.Helper()
	return h.run(t, "", "ssh", append([]string{"-F", h.config, h.alias}, args...)...)
}

// storedServerTokens counts the server tokens in the user's token store.
func (h *loggedIn) storedServerTokens(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, ".config", "hubssh", "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "#server=")
}

func TestRevokedLoginTokenStopsNewSessions(t *testing.T) {
	h := loginAndConnect(t, "erin")
	if r := h.ssh(t, "true"); r.code != 0 {
		t.Fatalf("before revoking: exit %d: %s", r.code, r.stderr)
	}
	if n := h.storedServerTokens(t); n != 1 {
		t.Fatalf("%d server tokens stored, want 1", n)
	}
	revoked := time.Now()
	revokeToken(t, "erin", h.login.ID)
	// The very next connection is refused, although the server token
	// hubssh minted earlier is still valid at the hub.
	r := h.ssh(t, "true")
	t.Logf("measured: revocation of the login token refused the next ssh %.2f s later (the first connection after it)", time.Since(revoked).Seconds())
	want := fmt.Sprintf(`hubssh: the hub rejected the token (it may have expired or been revoked): create a new one at %shub/token and run "hubssh login %s"`, suite.hub.URL, suite.hub.URL)
	if lines := hubsshLines(r.stderr); r.code != 255 || len(lines) != 1 || lines[0] != want {
		t.Fatalf("after revoking: exit %d, hubssh said %q; want 255 and %q", r.code, lines, want)
	}
	if n := h.storedServerTokens(t); n != 0 {
		t.Errorf("%d server tokens still stored after the login token was found revoked", n)
	}
	// Logging in again with a new token brings access back; flags may
	// follow the URL, as users type them.
	if r := h.hubssh(t, loginToken(t, "erin").Token, "login", suite.hub.URL.String(), "--token-stdin"); r.code != 0 {
		t.Fatalf("hubssh login URL --token-stdin: exit %d: %s", r.code, r.stderr)
	}
	if r := h.ssh(t, "echo", "back"); r.code != 0 || r.stdout != "back\n" {
		t.Fatalf("after a new login: exit %d out %q err %q", r.code, r.stdout, r.stderr)
	}
}

func TestRevokedServerTokenIsReplaced(t *testing.T) {
	h := loginAndConnect(t, "frank")
	ensureServer(t, "frank", "")
	steps := []struct {
		name string
		run  func() result
		ok   func(r result) bool
	}{
		{"ssh", func() result { return h.ssh(t, "echo", "in") }, func(r result) bool { return r.code == 0 && r.stdout == "in\n" }},
		{"hubssh connect", func() result { return h.hubssh(t, "", "connect", "--prepare-only") }, func(r result) bool { return r.code == 0 }},
		{"hubssh doctor", func() result { return h.hubssh(t, "", "doctor") }, func(r result) bool {
			return r.code == 0 && strings.Contains(r.stdout, "sshd: SSH-2.0-hubsshd_") && strings.Contains(r.stdout, "host key: pinned")
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			revokeServerTokens(t, "frank")
			if r := st.run(); !st.ok(r) {
				t.Fatalf("with a revoked server token cached: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if live := serverTokens(t, "frank"); len(live) != 1 {
				t.Errorf("%d live hubssh tokens at the hub, want the 1 new one", len(live))
			}
		})
	}
	t.Run("login replaces the cached server tokens", func(t *testing.T) {
		before := serverTokens(t, "frank")
		if r := h.hubssh(t, loginToken(t, "frank").Token, "login", "--token-stdin", suite.hub.URL.String()); r.code != 0 {
			t.Fatalf("login: %d %s", r.code, r.stderr)
		}
		if n := h.storedServerTokens(t); n != 0 {
			t.Errorf("%d server tokens kept across a new login", n)
		}
		if left := serverTokens(t, "frank"); len(before) == 0 || len(left) != 0 {
			t.Errorf("hubssh tokens at the hub: %d before the new login, %d after; want them revoked", len(before), len(left))
		}
	})
	t.Run("logout revokes them at the hub", func(t *testing.T) {
		if r := h.ssh(t, "true"); r.code != 0 || len(serverTokens(t, "frank")) != 1 {
			t.Fatalf("ssh: %d %s", r.code, r.stderr)
		}
		if r := h.hubssh(t, "", "logout"); r.code != 0 {
			t.Fatalf("logout: %d %s", r.code, r.stderr)
		}
		if left := serverTokens(t, "frank"); len(left) != 0 {
			t.Errorf("%d hubssh tokens still live after logout", len(left))
		}
	})
}

// ciHome is a CI job's machine: HUBSSH_TOKEN set, no keyring, and (when
// runtime is not "") a memory-backed XDG_RUNTIME_DIR.
func ciHome(t *testing.T, token, runtime string) (*userHome, []string) {
	h := newUserHome(t)
	env := append(h.env(), "HUBSSH_TOKEN="+token)
	if runtime != "" {
		env = append(env, "XDG_RUNTIME_DIR="+runtime)
	}
	return h, env
}

// memoryDir is a private directory on a tmpfs, as /run/user/UID is.
func memoryDir(t *testing.T) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		t.Fatalf("/dev/shm is not a tmpfs (%v): this test needs a memory-backed directory", err)
	}
	d, err := os.MkdirTemp("/dev/shm", "hubssh-e2e-runtime-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestCIModeWritesNoToken(t *testing.T) {
	ensureServer(t, "gwen", "")
	for _, mode := range []struct {
		name    string
		runtime bool
		maxLive int // hubssh tokens live at the hub after the loop
	}{
		{"runtime dir in memory: one token shared by every connection", true, 1},
		{"no runtime dir: each process revokes what it minted", false, 0},
	} {
		t.Run(mode.name, func(t *testing.T) {
			for _, tk := range serverTokens(t, "gwen") {
				revokeToken(t, "gwen", tk.ID)
			}
			runtime := ""
			if mode.runtime {
				runtime = memoryDir(t)
			}
			ci := loginToken(t, "gwen")
			h, env := ciHome(t, ci.Token, runtime)
			run := func(stdin, prog string, args ...string) result {
				t.Helper()
				r := h.runWithEnv(t, env, stdin, prog, args...)
				if r.code != 0 {
					t.Fatalf("%s %v: exit %d: %s", prog, args, r.code, r.stderr)
				}
				return r
			}
			run(ci.Token, suite.hubssh, "login", "--token-stdin", suite.hub.URL.String())
			var p struct{ Alias string }
			json.Unmarshal([]byte(run("", suite.hubssh, "connect", "--prepare-only").stdout), &p)
			cfg := filepath.Join(h.dir, ".ssh", "config")
			minted := map[string]bool{}
			for i := 0; i < 10; i++ {
				run("", "ssh", "-F", cfg, p.Alias, "true")
				for _, tk := range serverTokens(t, "gwen") {
					minted[tk.ID] = true
				}
			}
			if mode.runtime && len(minted) != 1 {
				t.Errorf("%d server tokens minted for connect and 10 connections, want 1", len(minted))
			}
			if live := serverTokens(t, "gwen"); len(live) > mode.maxLive {
				t.Errorf("%d hubssh tokens live at the hub after the loop, want at most %d", len(live), mode.maxLive)
			}
			// Nothing under the home (config dir, ssh config) holds a token.
			filepath.Walk(h.dir, func(path string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() {
					return nil
				}
				if fi.Name() == "tokens.json" {
					t.Errorf("CI mode wrote %s", path)
				}
				b, _ := os.ReadFile(path)
				if strings.Contains(string(b), ci.Token) || strings.Contains(string(b), `"token"`) {
					t.Errorf("%s holds a token", path)
				}
				return nil
			})
		})
	}
}

func TestServerTokenRefusedNeverFallsBack(t *testing.T) {
	ensureServer(t, "gwen", "")
	tests := []struct {
		name   string
		scopes []string
		want   string
	}{
		// The hub will not mint a server token from a token that may
		// not create tokens; hubssh used to send the token itself to the
		// server instead. (A token that may create tokens can mint any
		// scope its owner holds, access:servers included.)
		{"no tokens scope", []string{"access:servers!user=gwen", "servers!user=gwen", "read:users!user=gwen"},
			"the hub will not issue a token for gwen's default server"},
		{"neither tokens nor access:servers", []string{"servers!user=gwen", "read:users!user=gwen"},
			"the hub will not issue a token for gwen's default server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := loginToken(t, "gwen", tt.scopes...)
			p := runProxy(t, tok.Token, "--user", "gwen")
			if p.code != 3 || p.stdout != "" || !strings.Contains(p.stderr, tt.want) || !strings.Contains(p.stderr, "never sends your own token") {
				t.Errorf("hubssh proxy --hub: exit %d stdout %q stderr %q; want 3 and %q", p.code, p.stdout, p.stderr, tt.want)
			}
			if strings.Count(p.stderr, "\n") != 1 {
				t.Errorf("want one line, got %q", p.stderr)
			}
			// hubssh login names what is missing before anything else.
			h := newUserHome(t)
			r := h.hubssh(t, tok.Token, "login", "--token-stdin", suite.hub.URL.String())
			if r.code != 3 || !strings.Contains(r.stderr, "the token lacks the scope") {
				t.Errorf("login: exit %d err %q", r.code, r.stderr)
			}
		})
	}
}
