//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// userHome is a person's machine: a home with their own ssh config, and
// hubssh run as they would run it.
type userHome struct {
	dir string
}

func newUserHome(t *testing.T) *userHome {
	h := &userHome{dir: t.TempDir()}
	os.MkdirAll(filepath.Join(h.dir, ".ssh"), 0o700)
	return h
}

func (h *userHome) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBSSH_TOKEN=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+h.dir, "HUBSSH_CONFIG_DIR="+filepath.Join(h.dir, ".config", "hubssh"), "HUBSSH_NO_KEYRING=1")
}

func (h *userHome) run(t *testing.T, stdin, prog string, args ...string) result {
	t.Helper()
	return h.runWithEnv(t, h.env(), stdin, prog, args...)
}

func (h *userHome) runWithEnv(t *testing.T, env []string, stdin, prog string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(t0)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return r
}

func (h *userHome) hubssh(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return h.run(t, stdin, suite.hubssh, args...)
}

func TestHelperJourney(t *testing.T) {
	h := newUserHome(t)
	hubURL := suite.hub.URL.String()
	own := "Host *\n  ServerAliveInterval 60\n\nHost work\n  HostName work.example.org\n"
	userCfg := filepath.Join(h.dir, ".ssh", "config")
	os.WriteFile(userCfg, []byte(own), 0o644)
	token := suite.hub.Token("carol")
	ctx := context.Background()
	suite.hub.StopServer(ctx, "carol", "") // stopped, whatever ran before

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	step("login: rejected token", func(t *testing.T) {
		r := h.hubssh(t, strings.Repeat("f", 32), "login", "--token-stdin", hubURL)
		if r.code != 3 || !strings.Contains(r.stderr, "the hub rejected the token") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
	step("login: https on a plain-HTTP hub", func(t *testing.T) {
		r := h.hubssh(t, token, "login", "--token-stdin", strings.Replace(hubURL, "http://", "https://", 1))
		if r.code != 5 || !strings.Contains(r.stderr, "use http:// in the hub URL") {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
	step("login", func(t *testing.T) {
		r := h.hubssh(t, token+"\n", "login", "--token-stdin", strings.TrimPrefix(hubURL, "http://")+"hub/home")
		if r.code != 5 { // a bare host means https: refused with the fix
			t.Errorf("bare host: exit %d", r.code)
		}
		r = h.hubssh(t, token+"\n", "login", "--token-stdin", hubURL+"hub/home")
		if r.code != 0 || !strings.Contains(r.stdout, "logged in to "+hubURL+" as carol") {
			t.Fatalf("exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
	})
	var alias string
	step("connect starts the server and runs the command", func(t *testing.T) {
		r := h.hubssh(t, "", "connect", "--", `echo "user=$JUPYTERHUB_USER"`)
		if r.code != 0 || r.stdout != "user=carol\n" {
			t.Fatalf("exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "100%") {
			t.Errorf("no spawn progress shown: %q", r.stderr)
		}
		t.Logf("measured: hubssh connect from a stopped server to command output: %.2f s", r.took.Seconds())
		r = h.hubssh(t, "", "connect", "--prepare-only")
		var p struct{ Alias, Folder string }
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Folder != suite.hub.Home("carol") {
			t.Fatalf("prepare-only: %q %v", r.stdout, err)
		}
		alias = p.Alias
	})
	step("the entry names the server's account, for clients that need a user name", func(t *testing.T) {
		me, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		managed, _ := os.ReadFile(userCfg)
		if !strings.Contains(string(managed), "Host "+alias+"\n") || !strings.Contains(string(managed), "  User "+me.Username+"\n") {
			t.Errorf("~/.ssh/config lacks User %s (hubsshd runs as this machine's user here):\n%s", me.Username, managed)
		}
	})
	step("plain ssh auto-starts a culled server", func(t *testing.T) {
		if err := suite.hub.StopServer(ctx, "carol", ""); err != nil {
			t.Fatal(err)
		}
		r := h.run(t, "", "ssh", "-F", userCfg, alias, "exit 7")
		if r.code != 7 {
			t.Fatalf("exit %d, err %q", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "Server ready") {
			t.Errorf("the proxy showed no start progress: %q", r.stderr)
		}
		t.Logf("measured: ssh ALIAS to a stopped server, through auto-start: %.2f s", r.took.Seconds())
		r = h.run(t, "", "ssh", "-F", userCfg, alias, "true")
		t.Logf("measured: ssh ALIAS true through hubssh proxy ALIAS, server running: %.0f ms", r.took.Seconds()*1000)
	})
	step("doctor: all well", func(t *testing.T) {
		r := h.hubssh(t, "", "doctor")
		if r.code != 0 || !strings.Contains(r.stdout, "sshd: SSH-2.0-hubsshd_") || !strings.Contains(r.stdout, "host key: pinned") || strings.Contains(r.stdout, "FAIL") {
			t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, token) {
			t.Error("doctor printed the token")
		}
	})
	step("doctor explains a Host * block that overrides hubssh; connect repairs it", func(t *testing.T) {
		cur, _ := os.ReadFile(userCfg)
		override := "Host *\n  ProxyCommand nc %h %p\n"
		os.WriteFile(userCfg, append([]byte(override), cur...), 0o644)
		r := h.hubssh(t, "", "doctor", "--json")
		var out struct {
			Checks []struct{ Name, Status, Detail, Fix string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("doctor --json: %v: %q", err, r.stdout)
		}
		found := false
		for _, c := range out.Checks {
			if strings.HasSuffix(c.Name, "ssh -G") && c.Status == "fail" && strings.Contains(c.Detail, "ProxyCommand nc") && strings.Contains(c.Fix, "wins") {
				found = true
			}
		}
		if r.code != 1 || !found {
			t.Errorf("exit %d, checks %+v", r.code, out.Checks)
		}
		// connect puts hubssh's block back on top, above the user's
		// Host block, which stays as the user wrote it.
		if r = h.hubssh(t, "", "connect", "--prepare-only"); r.code != 0 {
			t.Fatalf("connect: %d %s", r.code, r.stderr)
		}
		fixed, _ := os.ReadFile(userCfg)
		if !strings.HasPrefix(string(fixed), "# >>> hubssh:") || !strings.Contains(string(fixed), override) {
			t.Errorf("after connect:\n%s", fixed)
		}
		if r = h.hubssh(t, "", "doctor"); r.code != 0 {
			t.Errorf("doctor after the repair: %d\n%s", r.code, r.stdout)
		}
		// Back to the user's file without the experiment.
		os.WriteFile(userCfg, []byte(strings.Replace(string(fixed), override, "", 1)), 0o644)
	})
	step("named server", func(t *testing.T) {
		r := h.hubssh(t, "", "connect", "--server", "work", "--", `echo "server=$JUPYTERHUB_SERVER_NAME"`)
		if r.code != 0 || r.stdout != "server=work\n" {
			t.Fatalf("exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
		suite.hub.StopServer(ctx, "carol", "work")
	})
	step("requests to the server used a short-lived token", func(t *testing.T) {
		var tokens struct {
			APITokens []struct {
				Note      string     `json:"note"`
				ExpiresAt *time.Time `json:"expires_at"`
				Scopes    []string   `json:"scopes"`
			} `json:"api_tokens"`
		}
		req, _ := http.NewRequest("GET", hubURL+"hub/api/users/carol/tokens", nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&tokens)
		found := 0
		for _, tk := range tokens.APITokens {
			if strings.HasPrefix(tk.Note, "hubssh: short-lived") {
				found++
				if tk.ExpiresAt == nil || time.Until(*tk.ExpiresAt) > 61*time.Minute {
					t.Errorf("token %q expires %v; want within the hour", tk.Note, tk.ExpiresAt)
				}
				// Access to one server; the hub itself adds reading the
				// owner's name and groups to every token.
				access := 0
				for _, sc := range tk.Scopes {
					switch {
					case strings.HasPrefix(sc, "access:servers!server=carol/"):
						access++
					case sc == "read:users:name!user=carol", sc == "read:users:groups!user=carol":
					default:
						t.Errorf("token %q carries more than server access: %q", tk.Note, sc)
					}
				}
				if access != 1 {
					t.Errorf("token %q scopes %v: want access to one server", tk.Note, tk.Scopes)
				}
			}
		}
		if found != 2 { // one per server (default, work), reused across connections
			t.Errorf("%d short-lived tokens minted, want 2 (one per server, cached)", found)
		}
	})
	step("no secret outside the token store", func(t *testing.T) {
		cfgDir := filepath.Join(h.dir, ".config", "hubssh")
		for _, p := range []string{userCfg, filepath.Join(h.dir, ".ssh", "hubssh", "config"), filepath.Join(cfgDir, "hubs.json"), filepath.Join(cfgDir, "known_hosts")} {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(token)) {
				t.Errorf("%s contains the token", p)
			}
		}
		st, err := os.Stat(filepath.Join(cfgDir, "tokens.json"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("tokens.json: %v mode %v", err, st.Mode().Perm())
		}
	})
	step("logout gives the user's ssh config back byte for byte", func(t *testing.T) {
		r := h.hubssh(t, "", "logout")
		if r.code != 0 {
			t.Fatalf("exit %d err %q", r.code, r.stderr)
		}
		b, _ := os.ReadFile(userCfg)
		st, _ := os.Stat(userCfg)
		if string(b) != own || st.Mode().Perm() != 0o644 {
			t.Errorf("after logout: mode %04o content %q", st.Mode().Perm(), b)
		}
		r = h.run(t, "", "ssh", "-F", userCfg, alias, "true")
		if r.code == 0 {
			t.Error("the alias still works after logout")
		}
	})
}
