package fakehub

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/controlapi"
)

// Pod is a hub with alice's default server behind it: the hub API a
// client of hubssh's uses, and at the server's URL a stand-in for hubsshd
// (its websocket says the SSH banner; its control API keeps keys and
// answers a host key). Only the login token reaches /hub/api; only the
// server tokens it minted reach the server, as on a real hub. The real
// hubsshd (server/internal/...) is out of reach of helper's tests by Go's
// internal rule; the end-to-end suite runs it.
type Pod struct {
	*Hub
	LoginToken string

	mu sync.Mutex
	st PodState
}

// PodState is what a test reads and changes through Update.
type PodState struct {
	Running bool     // alice's default server
	LoginOK bool     // the login token is valid (false: revoked)
	HostKey string   // the server's host key, authorized_keys format
	Minted  []string // server tokens issued, in order
	Keys    []string // public keys posted to the control API
	// Knobs: nil gives the ordinary answer.
	Users, Spawn, Mint, Control http.HandlerFunc
}

// NewPod starts a pod whose server runs and whose login token is token.
// Its routes are declared with Allow: tests assert what they expect.
func NewPod(t testing.TB, token string) *Pod {
	pub, _, _ := ed25519.GenerateKey(nil)
	sp, _ := ssh.NewPublicKey(pub)
	p := &Pod{Hub: New(t), LoginToken: token, st: PodState{
		Running: true, LoginOK: true, HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))),
	}}
	p.Allow("GET /hub/api/{$}", Reply(200, `{"version":"6.1.1"}`))
	p.Allow("GET /hub/api/user", p.whoami)
	p.Allow("GET /hub/api/users/{name}", p.knob(func(s *PodState) http.HandlerFunc { return s.Users }, p.user))
	p.Allow("POST /hub/api/users/alice/server", p.knob(func(s *PodState) http.HandlerFunc { return s.Spawn }, func(w http.ResponseWriter, r *http.Request) {
		p.Update(func(s *PodState) { s.Running = true })
		w.WriteHeader(http.StatusCreated)
	}))
	p.Allow("POST /hub/api/users/alice/tokens", p.knob(func(s *PodState) http.HandlerFunc { return s.Mint }, p.mint))
	p.Allow("DELETE /hub/api/users/alice/tokens/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	p.Allow("/user/alice/sshd-control/{endpoint...}", p.knob(func(s *PodState) http.HandlerFunc { return s.Control }, p.control))
	p.Allow("/user/alice/sshd/{$}", p.sshd)
	return p
}

// Update changes the pod's state under its lock.
func (p *Pod) Update(f func(*PodState)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.st)
}

// State is a copy of the pod's state.
func (p *Pod) State() PodState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.Minted = append([]string(nil), p.st.Minted...)
	st.Keys = append([]string(nil), p.st.Keys...)
	return st
}

// UsersAnswer answers GET /hub/api/users/NAME as the pod ordinarily does,
// for a Users knob that differs only sometimes.
func (p *Pod) UsersAnswer(w http.ResponseWriter, r *http.Request) { p.user(w, r) }

func (p *Pod) knob(pick func(*PodState) http.HandlerFunc, ordinary http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		k := pick(&p.st)
		p.mu.Unlock()
		if k != nil {
			k(w, r)
			return
		}
		ordinary(w, r)
	}
}

func (p *Pod) isLogin(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.LoginOK && r.Header.Get("Authorization") == "token "+p.LoginToken
}

func (p *Pod) isServerToken(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tok := range p.st.Minted {
		if r.Header.Get("Authorization") == "token "+tok {
			return true
		}
	}
	return false
}

func (p *Pod) whoami(w http.ResponseWriter, r *http.Request) {
	if !p.isLogin(r) {
		Denied(w, r)
		return
	}
	Reply(200, `{"kind":"user","name":"alice","scopes":["access:servers!user=alice","servers!user=alice","tokens!user=alice"]}`)(w, r)
}

func (p *Pod) user(w http.ResponseWriter, r *http.Request) {
	if !p.isLogin(r) || r.PathValue("name") != "alice" {
		Denied(w, r)
		return
	}
	servers := map[string]any{}
	if p.State().Running {
		servers[""] = map[string]any{"name": "", "ready": true, "pending": nil, "url": "/user/alice/"}
	}
	if r.URL.Query().Get("include_stopped_servers") != "" {
		servers["gpu"] = map[string]any{"name": "gpu", "ready": false, "pending": nil, "stopped": true}
	}
	b, _ := json.Marshal(map[string]any{"name": "alice", "servers": servers})
	Reply(200, string(b))(w, r)
}

func (p *Pod) mint(w http.ResponseWriter, r *http.Request) {
	if !p.isLogin(r) {
		Denied(w, r)
		return
	}
	var tok string
	p.Update(func(s *PodState) { tok = fmt.Sprintf("server-%d", len(s.Minted)+1); s.Minted = append(s.Minted, tok) })
	Reply(http.StatusCreated, `{"id":"id-`+tok+`","token":"`+tok+`"}`)(w, r)
}

func (p *Pod) control(w http.ResponseWriter, r *http.Request) {
	if !p.isServerToken(r) {
		Reply(http.StatusForbidden, `{"error":"token rejected"}`)(w, r)
		return
	}
	switch ep := r.PathValue("endpoint"); {
	case ep == controlapi.PathHostKeys && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(controlapi.HostKeys{HostKeys: []string{p.State().HostKey}})
	case ep == controlapi.PathInfo && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(controlapi.Info{Home: "/home/jovyan", Version: "test", User: "jovyan"})
	case ep == controlapi.PathKeys && r.Method == http.MethodPost:
		var req controlapi.AddKey
		json.NewDecoder(r.Body).Decode(&req)
		p.Update(func(s *PodState) { s.Keys = append(s.Keys, req.PublicKey) })
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(controlapi.Key{})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// sshd is hubsshd's websocket: the SSH banner, to a server token only.
func (p *Pod) sshd(w http.ResponseWriter, r *http.Request) {
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
}
