package core

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/fakehub"
	"github.com/hubssh/hubssh/internal/hubapi"
)

const loginToken = "login-token-secret"

// pod is a hub with alice's default server behind it: the hub API
// (fakehub) and, at the server's URL, a stand-in for hubsshd's control
// API. The real control API (server/internal/control) is out of helper's
// reach by Go's internal rule; the end-to-end suite runs it.
type pod struct {
	*fakehub.Hub
	hostKey string

	mu      sync.Mutex
	running bool
	loginOK bool
	minted  []string // server tokens, in order
	keys    []string // public keys posted to the control API
	// Knobs: nil means the hub's ordinary answer.
	users, spawn, mint, control http.HandlerFunc
}

func newPod(t *testing.T) *pod {
	pub, _, _ := ed25519.GenerateKey(nil)
	sp, _ := ssh.NewPublicKey(pub)
	p := &pod{Hub: fakehub.New(t), running: true, loginOK: true, hostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))}
	p.Allow("GET /hub/api/user", p.whoami)
	p.Allow("GET /hub/api/users/{name}", p.user)
	p.Allow("POST /hub/api/users/alice/server", p.or(func() http.HandlerFunc { return p.spawn }, func(w http.ResponseWriter, r *http.Request) {
		p.set(func() { p.running = true })
		w.WriteHeader(http.StatusCreated)
	}))
	p.Allow("POST /hub/api/users/alice/tokens", p.or(func() http.HandlerFunc { return p.mint }, func(w http.ResponseWriter, r *http.Request) {
		if !p.isLogin(r) {
			fakehub.Denied(w, r)
			return
		}
		var tok string
		p.set(func() { tok = fmt.Sprintf("server-%d", len(p.minted)+1); p.minted = append(p.minted, tok) })
		fakehub.Reply(http.StatusCreated, `{"id":"id-`+tok+`","token":"`+tok+`"}`)(w, r)
	}))
	p.Allow("DELETE /hub/api/users/alice/tokens/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p.Allow("/user/alice/sshd-control/{endpoint...}", p.or(func() http.HandlerFunc { return p.control }, p.controlAPI))
	p.Allow("GET /hub/api/{$}", fakehub.Reply(200, `{"version":"6.1.1"}`))
	// hubsshd's websocket: the SSH banner, to a server token only.
	p.Allow("/user/alice/sshd/{$}", func(w http.ResponseWriter, r *http.Request) {
		if !p.isServerToken(r) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Write(r.Context(), websocket.MessageBinary, []byte("SSH-2.0-hubsshd_test\r\n"))
		c.Read(r.Context())
	})
	return p
}

func (p *pod) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

// or serves the knob when a test set one, else the ordinary answer.
func (p *pod) or(knob func() http.HandlerFunc, ordinary http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		k := knob()
		p.mu.Unlock()
		if k != nil {
			k(w, r)
			return
		}
		ordinary(w, r)
	}
}

func (p *pod) isLogin(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.loginOK && r.Header.Get("Authorization") == "token "+loginToken
}

func (p *pod) isServerToken(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tok := range p.minted {
		if r.Header.Get("Authorization") == "token "+tok {
			return true
		}
	}
	return false
}

func (p *pod) whoami(w http.ResponseWriter, r *http.Request) {
	if !p.isLogin(r) {
		fakehub.Denied(w, r)
		return
	}
	fakehub.Reply(200, `{"kind":"user","name":"alice","scopes":["access:servers!user=alice","servers!user=alice","tokens!user=alice"]}`)(w, r)
}

func (p *pod) user(w http.ResponseWriter, r *http.Request) {
	p.or(func() http.HandlerFunc { return p.users }, func(w http.ResponseWriter, r *http.Request) {
		if !p.isLogin(r) || r.PathValue("name") != "alice" {
			fakehub.Denied(w, r)
			return
		}
		p.mu.Lock()
		servers := `{}`
		if p.running {
			servers = `{"":{"name":"","ready":true,"pending":null,"url":"/user/alice/"}}`
		}
		p.mu.Unlock()
		if r.URL.Query().Get("include_stopped_servers") != "" {
			servers = strings.Replace(servers, `{}`, `{"gpu":{"name":"gpu","ready":false,"pending":null,"stopped":true}}`, 1)
			if p.running {
				servers = strings.TrimSuffix(servers, "}") + `,"gpu":{"name":"gpu","ready":false,"pending":null,"stopped":true}}`
			}
		}
		fakehub.Reply(200, `{"name":"alice","servers":`+servers+`}`)(w, r)
	})(w, r)
}

func (p *pod) controlAPI(w http.ResponseWriter, r *http.Request) {
	if !p.isServerToken(r) {
		fakehub.Reply(http.StatusForbidden, `{"error":"token rejected"}`)(w, r)
		return
	}
	switch ep := r.PathValue("endpoint"); {
	case ep == controlapi.PathHostKeys && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(controlapi.HostKeys{HostKeys: []string{p.hostKey}})
	case ep == controlapi.PathInfo && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(controlapi.Info{Home: "/home/jovyan", Version: "test", User: "jovyan"})
	case ep == controlapi.PathKeys && r.Method == http.MethodPost:
		var req controlapi.AddKey
		json.NewDecoder(r.Body).Decode(&req)
		p.set(func() { p.keys = append(p.keys, req.PublicKey) })
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(controlapi.Key{})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// loggedIn is a Service on a temp dir, logged in to p, with a clock the
// test moves and the notices it printed.
func loggedIn(t *testing.T, p *pod) (*Service, *[]string, func(time.Duration)) {
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
	p := newPod(t)
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
	if !strings.Contains(string(known), alias+" "+p.hostKey) {
		t.Errorf("host key not pinned under %s:\n%s", alias, known)
	}
	_, pub, _ := s.Store.KeyPair(p.URL + "/")
	if len(p.keys) != 1 || !strings.HasPrefix(p.keys[0], strings.TrimSpace(string(pub))+" ") {
		t.Errorf("keys deployed %q, want hubssh's own %q", p.keys, pub)
	}

	// Token choice: the server token is minted once and reused while it
	// has life left, never the login token at the server; when it runs
	// low a new one is minted.
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if len(p.minted) != 1 {
		t.Errorf("minted %d server tokens for two prepares, want 1 (cached)", len(p.minted))
	}
	advance(serverTokenLife - serverTokenMinLeft + time.Second)
	if _, err := s.Prepare(ctx, "", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if len(p.minted) != 2 {
		t.Errorf("minted %d after the cached token ran low, want 2", len(p.minted))
	}
}

func TestPrepareStartsAStoppedServer(t *testing.T) {
	p := newPod(t)
	p.running = false
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
		setup func(p *pod)
		user  string
		code  Code
		want  string
	}{
		{"no hubsshd in the image", func(p *pod) { p.control = fakehub.Reply(404, `{"message":"not found"}`) }, "",
			CodeServer, "has no hubsshd"},
		{"login token revoked", func(p *pod) { p.loginOK = false }, "",
			CodeAuth, "rejected the token"},
		{"another user's server", nil, "bob",
			CodeAuth, "no access to bob's servers"},
		{"spawn fails", func(p *pod) {
			p.running = false
			p.spawn = fakehub.Reply(500, `{"message":"spawner exploded"}`)
		}, "", CodeServer, "the hub failed to start alice's default server (HTTP 500: spawner exploded)"},
		{"spawn refused", func(p *pod) {
			p.running = false
			p.spawn = fakehub.Reply(400, `{"message":"Too many servers"}`)
		}, "", CodeServer, "the hub would not start alice's default server: Too many servers"},
		{"no server token issued", func(p *pod) {
			p.mint = fakehub.Reply(403, `{"message":"Not assigning requested scopes"}`)
		}, "", CodeAuth, "will not issue a token"},
		{"server refuses a fresh token", func(p *pod) { p.control = fakehub.Reply(403, `{"error":"no"}`) }, "",
			CodeAuth, "refused a token the hub issued for it a moment ago"},
		{"hub down longer than the retry", func(p *pod) { p.users = fakehub.Reply(502, `{"message":"proxy error"}`) }, "",
			CodeNetwork, "did not answer for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPod(t)
			s, _, _ := loggedIn(t, p)
			s.OutageRetry = 600 * time.Millisecond
			if tt.setup != nil {
				p.set(func() { tt.setup(p) })
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
	p := newPod(t)
	s, notices, _ := loggedIn(t, p)
	n := 0
	p.set(func() {
		p.users = func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			n++
			down := n <= 2
			if !down {
				p.users = nil // back: the ordinary answers from now on
			}
			p.mu.Unlock()
			if down {
				fakehub.Reply(503, `{"message":"restarting"}`)(w, r)
				return
			}
			p.user(w, r)
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
	p := newPod(t)
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
	if known, _ := os.ReadFile(s.Store.KnownHosts()); strings.Contains(string(known), p.hostKey) {
		t.Error("the host key is still pinned after logout")
	}
}

func TestDiagnose(t *testing.T) {
	p := newPod(t)
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
	p.set(func() { p.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJPDM7Y4Ie9wV8JkBempICoZQ0F87irn5+cD9kONyb99" })
	if c := status()["server "+alias+": host key"]; c.Status != "fail" || !strings.Contains(c.Fix, "hubssh connect") {
		t.Errorf("changed host key: %+v, want a failure that says to connect again", c)
	}
	// The login token was revoked: the token check fails, and says what to do.
	p.set(func() { p.loginOK = false })
	if c := status()[hub+": token"]; c.Status != "fail" || !strings.Contains(c.Detail, "hub/token") {
		t.Errorf("revoked token: %+v, want a failure naming the token page", c)
	}
}
