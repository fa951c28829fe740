package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const testToken = "0123456789abcdef-test-token"

// hubState shapes the fake hub's answers.
type hubState struct {
	tokenOK  bool
	html     bool   // answer like a web server that is not a hub
	servers  string // JSON of alice's "servers" map
	sshd     int    // status for the websocket path; 101 = accept and echo
	userCode int    // status for GET /hub/api/users/alice (0 = 200)
}

func fakeHub(t *testing.T, st hubState) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	authed := func(r *http.Request) bool { return st.tokenOK && r.Header.Get("Authorization") == "token "+testToken }
	mux.HandleFunc("/hub/api/user", func(w http.ResponseWriter, r *http.Request) {
		if st.html {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			return
		}
		if !authed(r) {
			w.WriteHeader(403)
			w.Write([]byte(`{"status":403,"message":"Missing or invalid credentials."}`))
			return
		}
		w.Write([]byte(`{"name":"alice","kind":"user"}`))
	})
	mux.HandleFunc("/hub/api/users/alice", func(w http.ResponseWriter, r *http.Request) {
		if st.userCode != 0 {
			w.WriteHeader(st.userCode)
			w.Write([]byte(`{"message":"no"}`))
			return
		}
		w.Write([]byte(`{"name":"alice","servers":` + st.servers + `}`))
	})
	mux.HandleFunc("/user/alice/sshd/", func(w http.ResponseWriter, r *http.Request) {
		if st.sshd != 101 {
			if st.sshd == 302 {
				http.Redirect(w, r, "/hub/user/alice/sshd/", http.StatusFound)
				return
			}
			w.WriteHeader(st.sshd)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, b)
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func runCLI(t *testing.T, args []string, env map[string]string, stdin string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb}, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func TestProxyErrors(t *testing.T) {
	running := `{"":{"name":"","ready":true,"pending":null}}`
	tests := []struct {
		name     string
		state    hubState
		args     []string // after "proxy --hub URL"
		noToken  bool
		noHub    bool
		deadHub  bool
		wantCode int
		wantMsg  string
	}{
		{name: "missing --hub", noHub: true, wantCode: ExitUsage, wantMsg: "proxy needs --hub URL"},
		{name: "stray argument", args: []string{"extra"}, wantCode: ExitUsage, wantMsg: `got "extra" after the flags`},
		{name: "no token", noToken: true, wantCode: ExitAuth, wantMsg: "no hub token: create one at"},
		{name: "token rejected", state: hubState{sshd: 403}, wantCode: ExitAuth, wantMsg: "the hub rejected the token"},
		{name: "token rejected, user found by token", state: hubState{}, args: nil, wantCode: ExitAuth, wantMsg: "rejected the token"},
		{name: "hub down", deadHub: true, wantCode: ExitNetwork, wantMsg: "cannot reach the hub at"},
		{name: "not a hub", state: hubState{html: true, sshd: 404}, wantCode: ExitUsage, wantMsg: "does not look like a JupyterHub"},
		{name: "server stopped", state: hubState{tokenOK: true, servers: `{}`, sshd: 302}, wantCode: ExitServer, wantMsg: "alice's default server is not running: start it from"},
		{name: "server spawning", state: hubState{tokenOK: true, servers: `{"":{"ready":false,"pending":"spawn"}}`, sshd: 302}, wantCode: ExitServer, wantMsg: "is busy (spawn pending)"},
		{name: "no hubsshd in image", state: hubState{tokenOK: true, servers: running, sshd: 404}, wantCode: ExitServer, wantMsg: "hubsshd is not installed in this server's image"},
		{name: "someone else's server", state: hubState{tokenOK: true, userCode: 403, sshd: 403}, wantCode: ExitAuth, wantMsg: "no access to alice's servers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := fakeHub(t, tt.state)
			url := hub.URL
			if tt.deadHub {
				hub.Close()
			}
			args := []string{"proxy"}
			if !tt.noHub {
				args = append(args, "--hub", url)
			}
			if tt.name != "token rejected, user found by token" {
				args = append(args, "--user", "alice")
			}
			args = append(args, tt.args...)
			env := map[string]string{TokenEnv: testToken}
			if tt.noToken {
				env = nil
			}
			out, errOut, code := runCLI(t, args, env, "")
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q: in proxy mode stdout is for SSH bytes only", out)
			}
			if lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), errOut)
			}
			if !strings.Contains(errOut, tt.wantMsg) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantMsg)
			}
			if strings.Contains(errOut, testToken) {
				t.Errorf("stderr carries the token: %q", errOut)
			}
		})
	}
}

func TestProxyCarriesBytes(t *testing.T) {
	hub := fakeHub(t, hubState{tokenOK: true, sshd: 101})
	// Without --user the token's owner is asked for.
	out, errOut, code := runCLI(t, []string{"proxy", "--hub", hub.URL}, map[string]string{TokenEnv: testToken}, "SSH-2.0-probe\r\n")
	// stdin EOF ends the tunnel; the echo may or may not have come back
	// before the close, but nothing else may appear on stdout.
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and silence", code, errOut)
	}
	if out != "" && out != "SSH-2.0-probe\r\n" {
		t.Errorf("stdout %q: only the echoed bytes may appear", out)
	}
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{args: nil, wantCode: ExitUsage, wantErr: "usage: hubssh"},
		{args: []string{"version"}, wantOut: "hubssh dev\n"},
		{args: []string{"help"}, wantOut: "usage: hubssh"},
		{args: []string{"frobnicate"}, wantCode: ExitUsage, wantErr: `unknown command "frobnicate"`},
		{args: []string{"proxy", "-h"}, wantCode: ExitUsage, wantErr: "-hub"},
	}
	for _, tt := range tests {
		out, errOut, code := runCLI(t, tt.args, nil, "")
		if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("hubssh %v: code %d out %q err %q; want %d, %q, %q", tt.args, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
		}
	}
}
