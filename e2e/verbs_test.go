//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// TestHelperVerbs covers the commands the journey does not: servers,
// start/stop/remove of named servers, ssh-config, a spawn that fails, and
// a token revoked while in use.
func TestHelperVerbs(t *testing.T) {
	h := newUserHome(t)
	hubURL := suite.hub.URL.String()
	userCfg := filepath.Join(h.dir, ".ssh", "config")
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	servers := func(t *testing.T) map[string]string {
		r := h.hubssh(t, "", "servers", "--json")
		var out struct {
			Servers []struct{ Name, State, Alias string }
		}
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
			t.Fatalf("servers: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
		m := map[string]string{}
		for _, s := range out.Servers {
			m[s.Name] = s.State
		}
		return m
	}
	step("nothing before login", func(t *testing.T) {
		r := h.hubssh(t, "", "servers")
		if r.code != 2 || !strings.Contains(r.stderr, `run "hubssh login`) {
			t.Errorf("exit %d err %q", r.code, r.stderr)
		}
	})
	step("login --json", func(t *testing.T) {
		r := h.hubssh(t, suite.hub.Token("dave"), "login", "--token-stdin", "--json", hubURL)
		var hub struct{ URL, User string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &hub) != nil || hub.User != "dave" || hub.URL != hubURL {
			t.Fatalf("exit %d %q %q", r.code, r.stdout, r.stderr)
		}
	})
	step("login recorded the token's expiry", func(t *testing.T) {
		b, _ := os.ReadFile(filepath.Join(h.dir, ".config", "hubssh", "hubs.json"))
		// The harness's tokens never expire: the field is absent, and the
		// record carries the scopes.
		if !strings.Contains(string(b), `"servers!user=dave"`) || strings.Contains(string(b), suite.hub.Token("dave")) {
			t.Errorf("hubs.json: %s", b)
		}
	})
	step("start a new named server with options, list it", func(t *testing.T) {
		r := h.hubssh(t, "", "start", "--server", "lab", "--option", "profile=small")
		if r.code != 0 || !strings.Contains(r.stderr, "100%") {
			t.Fatalf("exit %d err %q", r.code, r.stderr)
		}
		if got := servers(t); got["lab"] != "running" || got[""] != "stopped" {
			t.Errorf("servers %v", got)
		}
	})
	step("connect to it, then ssh-config --dry-run has nothing to do", func(t *testing.T) {
		if r := h.hubssh(t, "", "connect", "--server", "lab", "--", "true"); r.code != 0 {
			t.Fatalf("connect: %d %s", r.code, r.stderr)
		}
		r := h.hubssh(t, "", "ssh-config", "--dry-run")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "no change to ") {
			t.Errorf("dry run: %d %q", r.code, r.stdout)
		}
	})
	step("stop, then remove the named server", func(t *testing.T) {
		if r := h.hubssh(t, "", "stop", "--server", "lab"); r.code != 0 {
			t.Fatalf("stop: %d %s", r.code, r.stderr)
		}
		if got := servers(t); got["lab"] != "stopped" {
			t.Errorf("after stop: %v", got)
		}
		if r := h.hubssh(t, "", "stop", "--remove", "--server", "lab"); r.code != 0 {
			t.Fatalf("remove: %d %s", r.code, r.stderr)
		}
		if _, ok := servers(t)["lab"]; ok {
			t.Error("lab still listed after --remove")
		}
		managed, _ := os.ReadFile(filepath.Join(h.dir, ".ssh", "hubssh", "config"))
		if strings.Contains(string(managed), "-dave-lab") {
			t.Error("the removed server's ssh entry is still there")
		}
		if r := h.hubssh(t, "", "stop", "--remove"); r.code != 2 {
			t.Errorf("removing the default server: exit %d, want 2", r.code)
		}
	})
	step("a spawn that fails shows the hub's message", func(t *testing.T) {
		r := h.hubssh(t, "", "connect", "--server", "broken", "--", "true")
		if r.code != 4 || !strings.Contains(r.stderr, "image pull failed: no such image (hubssh test)") {
			t.Errorf("exit %d err %q", r.code, r.stderr)
		}
		h.hubssh(t, "", "stop", "--remove", "--server", "broken")
	})
	step("ssh-config --remove", func(t *testing.T) {
		if r := h.hubssh(t, "", "ssh-config", "--remove"); r.code != 0 {
			t.Fatalf("%d %s", r.code, r.stderr)
		}
		if b, _ := os.ReadFile(userCfg); len(b) != 0 {
			t.Errorf("after --remove the (formerly missing) config holds %q", b)
		}
	})
	step("a token revoked while in use", func(t *testing.T) {
		revokeTokens(t, "dave")
		r := h.hubssh(t, "", "servers")
		if r.code != 3 || !strings.Contains(r.stderr, "the hub rejected the token") {
			t.Errorf("exit %d err %q", r.code, r.stderr)
		}
	})
}

// revokeTokens deletes every API token of user, as an admin would.
func revokeTokens(t *testing.T, user string) {
	t.Helper()
	var list struct {
		APITokens []struct{ ID string } `json:"api_tokens"`
	}
	do := func(method, path string, out any) {
		req, _ := http.NewRequest(method, suite.hub.URL.String()+"hub/api/"+path, nil)
		req.Header.Set("Authorization", "token "+suite.hub.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
	}
	do("GET", "users/"+user+"/tokens", &list)
	if len(list.APITokens) == 0 {
		t.Fatal("no tokens to revoke")
	}
	for _, tk := range list.APITokens {
		do("DELETE", "users/"+user+"/tokens/"+tk.ID, nil)
	}
}

// TestRPCMethods drives "hubssh serve" with a Go JSON-RPC client through
// the methods the CI example does not use.
func TestRPCMethods(t *testing.T) {
	h := newUserHome(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := serveConn(ctx, t, h)
	call := func(method string, params, out any) *jsonrpc2.Error {
		err := conn.Call(ctx, method, params, out)
		if re, ok := err.(*jsonrpc2.Error); ok {
			return re
		}
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return nil
	}
	var v struct{ Protocol int }
	if e := call("version", map[string]any{"protocols": []int{2}, "client": "e2e"}, &v); e != nil || v.Protocol != 2 {
		t.Fatalf("version: %+v %v", v, e)
	}
	if e := call("version", map[string]any{"protocols": []int{1}, "client": "an old client"}, &v); e == nil || e.Code != -32007 || !strings.Contains(e.Message, "update an old client") {
		t.Fatalf("version with only protocol 1: %+v, want -32007 naming the side to update", e)
	}
	if e := call("hubs/add", map[string]string{"url": suite.hub.URL.String(), "token": suite.hub.Token("alice")}, nil); e != nil {
		t.Fatal(e)
	}
	var hubs struct{ Hubs []struct{ URL, User string } }
	if e := call("hubs/list", nil, &hubs); e != nil || len(hubs.Hubs) != 1 || hubs.Hubs[0].User != "alice" {
		t.Fatalf("hubs/list: %+v %v", hubs, e)
	}
	ensureServer(t, "alice", "")
	var prep struct{ Alias, Folder, SSHConfig string }
	opts := map[string]any{"sshOptions": map[string]string{"LogLevel": "ERROR", "ForwardAgent": "yes"}}
	if e := call("connect/prepare", opts, &prep); e != nil || prep.Folder != suite.hub.Home("alice") {
		t.Fatalf("connect/prepare: %+v %v", prep, e)
	}
	// The extension's extra options reach ssh itself, and ssh still works.
	g := h.run(t, "", "ssh", "-F", prep.SSHConfig, "-G", prep.Alias)
	for _, want := range []string{"loglevel ERROR", "forwardagent yes", "stricthostkeychecking true"} {
		if !strings.Contains(g.stdout, want+"\n") {
			t.Errorf("ssh -G %s lacks %q:\n%s", prep.Alias, want, g.stdout)
		}
	}
	if r := h.run(t, "", "ssh", "-F", prep.SSHConfig, prep.Alias, "echo", "opts-ok"); r.code != 0 || r.stdout != "opts-ok\n" {
		t.Errorf("ssh with extra options: %+v", r)
	}
	if e := call("connect/prepare", map[string]any{"sshOptions": map[string]string{}}, &prep); e != nil {
		t.Fatalf("connect/prepare clearing options: %v", e)
	}
	if g := h.run(t, "", "ssh", "-F", prep.SSHConfig, "-G", prep.Alias); strings.Contains(g.stdout, "forwardagent yes\n") {
		t.Errorf("options not cleared:\n%s", g.stdout)
	}
	var srv struct {
		Servers []struct{ Name, State, Alias string }
	}
	if e := call("servers/list", map[string]string{}, &srv); e != nil || len(srv.Servers) == 0 || srv.Servers[0].State != "running" || srv.Servers[0].Alias != prep.Alias {
		t.Fatalf("servers/list: %+v %v", srv, e)
	}
	var diag struct {
		Checks []struct{ Name, Status string }
	}
	if e := call("diagnose", map[string]string{}, &diag); e != nil || len(diag.Checks) < 8 {
		t.Fatalf("diagnose: %+v %v", diag, e)
	}
	for _, c := range diag.Checks {
		if c.Status == "fail" {
			t.Errorf("diagnose: %s failed", c.Name)
		}
	}
	if e := call("servers/start", map[string]any{"server": "broken"}, nil); e == nil || e.Code != -32003 || !strings.Contains(e.Message, "image pull failed") {
		t.Errorf("failing spawn: %+v", e)
	}
	call("servers/stop", map[string]any{"server": "broken", "remove": true}, nil)
	if e := call("hubs/remove", map[string]string{}, nil); e != nil {
		t.Fatal(e)
	}
	if e := call("hubs/list", nil, &hubs); e != nil || len(hubs.Hubs) != 0 {
		t.Errorf("after hubs/remove: %+v", hubs)
	}
}
