package core

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/fakehub"
	"github.com/hubssh/hubssh/internal/hubapi"
)

const loginToken = "login-token-secret"

// loggedIn is a Service on a temp dir, logged in to p, with a clock the
// test moves and the notices it printed.
func loggedIn(t *testing.T, p *fakehub.Pod) (*Service, *[]string, func(time.Duration)) {
	t.Helper()
	s := newService(t)
	var mu sync.Mutex
	var notices []string
	s.Notice = func(n string) { mu.Lock(); notices = append(notices, n); mu.Unlock() }
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if _, err := s.Login(context.Background(), p.URL, loginToken); err != nil {
		t.Fatalf("login: %v", err)
	}
	return s, &notices, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

func TestPrepare(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	s, _, advance := loggedIn(t, p)
	ctx := context.Background()
	res, err := s.Prepare(ctx, "", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	alias := Alias(p.URL+"/", "alice", "")
	if res.Alias != alias || res.Folder != "/home/jovyan" || res.User != "alice" {
		t.Errorf("prepared %+v, want alias %s in /home/jovyan", res, alias)
	}
	cfg, _ := os.ReadFile(s.SSH.User)
	for _, want := range []string{"Host " + alias, "User jovyan", "proxy " + alias, "UserKnownHostsFile"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("ssh config lacks %q:\n%s", want, cfg)
		}
	}
	known, _ := os.ReadFile(s.Store.KnownHosts())
	if !strings.Contains(string(known), alias+" "+p.State().HostKey) {
		t.Errorf("host key not pinned under %s:\n%s", alias, known)
	}
	_, pub, _ := s.Store.KeyPair(p.URL + "/")
	if keys := p.State().Keys; len(keys) != 1 || !strings.HasPrefix(keys[0], strings.TrimSpace(string(pub))+" ") {
		t.Errorf("keys deployed %q, want hubssh's own %q", keys, pub)
	}

	// Token choice: the server token is minted once and reused while it
	// has life left, never the login token at the server; when it runs
	// low a new one is minted.
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if len(p.State().Minted) != 1 {
		t.Errorf("minted %d server tokens for two prepares, want 1 (cached)", len(p.State().Minted))
	}
	advance(serverTokenLife - serverTokenMinLeft + time.Second)
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if len(p.State().Minted) != 2 {
		t.Errorf("minted %d after the cached token ran low, want 2", len(p.State().Minted))
	}
}

func TestPrepareStartsAStoppedServer(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	p.Update(func(st *fakehub.PodState) { st.Running = false })
	s, _, _ := loggedIn(t, p)
	var events []string
	if _, err := s.Prepare(context.Background(), "", "", "", func(e hubapi.Event) { events = append(events, e.Message) }); err != nil {
		t.Fatal(err)
	}
	if p.Calls("POST /hub/api/users/alice/server") != 1 || len(events) == 0 {
		t.Errorf("spawns %d, progress %q; want one spawn with progress", p.Calls("POST /hub/api/users/alice/server"), events)
	}
}

// TestPrepareErrors: each way a prepare fails has one code and a message
// that names the fix, and never the token.
func TestPrepareErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(st *fakehub.PodState)
		user  string
		code  Code
		want  string
	}{
		{"no hubsshd in the image", func(st *fakehub.PodState) { st.Control = fakehub.Reply(404, `{"message":"not found"}`) }, "",
			CodeServer, "has no hubsshd"},
		{"login token revoked", func(st *fakehub.PodState) { st.LoginOK = false }, "",
			CodeAuth, "rejected the token"},
		{"another user's server", nil, "bob",
			CodeAuth, "no access to bob's servers"},
		{"spawn fails", func(st *fakehub.PodState) {
			st.Running = false
			st.Spawn = fakehub.Reply(500, `{"message":"spawner exploded"}`)
		}, "", CodeServer, "the hub failed to start alice's default server (HTTP 500: spawner exploded)"},
		{"spawn refused", func(st *fakehub.PodState) {
			st.Running = false
			st.Spawn = fakehub.Reply(400, `{"message":"Too many servers"}`)
		}, "", CodeServer, "the hub would not start alice's default server: Too many servers"},
		{"no server token issued", func(st *fakehub.PodState) {
			st.Mint = fakehub.Reply(403, `{"message":"Not assigning requested scopes"}`)
		}, "", CodeAuth, "will not issue a token"},
		{"server refuses a fresh token", func(st *fakehub.PodState) { st.Control = fakehub.Reply(403, `{"error":"no"}`) }, "",
			CodeAuth, "refused a token the hub issued for it a moment ago"},
		{"hub down longer than the retry", func(st *fakehub.PodState) { st.Users = fakehub.Reply(502, `{"message":"proxy error"}`) }, "",
			CodeNetwork, "did not answer for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fakehub.NewPod(t, loginToken)
			s, _, _ := loggedIn(t, p)
			s.OutageRetry = 600 * time.Millisecond
			if tt.setup != nil {
				p.Update(tt.setup)
			}
			_, err := s.Prepare(context.Background(), "", tt.user, "", nil)
			ce, ok := err.(*Error)
			if !ok || ce.Code != tt.code || !strings.Contains(ce.Message, tt.want) {
				t.Fatalf("err = %v (%T), want code %s with %q", err, err, tt.code, tt.want)
			}
			if strings.Contains(ce.Message, loginToken) || strings.Contains(ce.Message, "server-1") {
				t.Errorf("the message carries a token: %s", ce.Message)
			}
			if strings.ContainsAny(ce.Message, "\n") {
				t.Errorf("the message is not one line: %q", ce.Message)
			}
		})
	}
}

func TestOutageWaitedOut(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	s, notices, _ := loggedIn(t, p)
	var n atomic.Int32
	p.Update(func(st *fakehub.PodState) {
		st.Users = func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= 2 {
				fakehub.Reply(503, `{"message":"restarting"}`)(w, r)
				return
			}
			p.UsersAnswer(w, r)
		}
	})
	if _, err := s.Prepare(context.Background(), "", "", "", nil); err != nil {
		t.Fatalf("an outage of two answers was not waited out: %v", err)
	}
	got := strings.Join(*notices, "\n")
	if !strings.Contains(got, "retrying for up to") || !strings.Contains(got, "answers again after") {
		t.Errorf("notices %q: want one line when waiting and one when back", got)
	}
}

func TestServersStopLogout(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	s, _, _ := loggedIn(t, p)
	ctx := context.Background()
	before, _ := os.ReadFile(s.SSH.User)
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.Servers(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "" || list[0].State != "running" || list[0].Alias == "" || list[1].Name != "gpu" || list[1].State != "stopped" {
		t.Errorf("servers %+v: want the default (running, with its alias) first, then gpu (stopped)", list)
	}
	if err := s.Stop(ctx, "", "", "", true); err == nil || err.(*Error).Code != CodeUsage {
		t.Errorf("removing the default server: %v, want a usage error", err)
	}
	if err := s.Logout(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if p.Calls("DELETE /hub/api/users/alice/tokens/{id}") != 1 {
		t.Errorf("logout revoked %d server tokens, want the one minted", p.Calls("DELETE /hub/api/users/alice/tokens/{id}"))
	}
	after, _ := os.ReadFile(s.SSH.User)
	if string(after) != string(before) {
		t.Errorf("ssh config after logout:\n%s\nwant as before:\n%s", after, before)
	}
	if known, _ := os.ReadFile(s.Store.KnownHosts()); strings.Contains(string(known), p.State().HostKey) {
		t.Error("the host key is still pinned after logout")
	}
}

func TestDiagnose(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	s, _, _ := loggedIn(t, p)
	ctx := context.Background()
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	alias := Alias(p.URL+"/", "alice", "")
	status := func() map[string]Check {
		t.Helper()
		checks, err := s.Diagnose(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Check{}
		for _, c := range checks {
			m[c.Name] = c
		}
		return m
	}
	hub := "hub " + p.URL + "/"
	got := status()
	for name, want := range map[string]string{
		hub + ": reachable":              "JupyterHub 6.1.1",
		hub + ": token":                  "valid, owner alice",
		"server " + alias:                "running",
		"server " + alias + ": sshd":     "SSH-2.0-hubsshd_test",
		"server " + alias + ": host key": "pinned in",
	} {
		if c := got[name]; c.Status != "ok" || !strings.Contains(c.Detail, want) {
			t.Errorf("%s: %+v, want ok with %q", name, c, want)
		}
	}

	// The server's host key changed (its home was reset): say so, with the fix.
	p.Update(func(st *fakehub.PodState) {
		st.HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJPDM7Y4Ie9wV8JkBempICoZQ0F87irn5+cD9kONyb99"
	})
	if c := status()["server "+alias+": host key"]; c.Status != "fail" || !strings.Contains(c.Fix, "hubssh connect") {
		t.Errorf("changed host key: %+v, want a failure that says to connect again", c)
	}
	// The login token was revoked: the token check fails, and says what to do.
	p.Update(func(st *fakehub.PodState) { st.LoginOK = false })
	if c := status()[hub+": token"]; c.Status != "fail" || !strings.Contains(c.Detail, "hub/token") {
		t.Errorf("revoked token: %+v, want a failure naming the token page", c)
	}
}
