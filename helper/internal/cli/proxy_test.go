package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubssh/hubssh/internal/fakehub"
)

const testToken = "0123456789abcdef-test-token"

// hubState shapes the fake hub's answers.
type hubState struct {
	tokenOK  bool
	html     bool   // answer like a web server that is not a hub
	servers  string // JSON of alice's "servers" map
	sshd     int    // status for the websocket path; 101 = accept and echo
	userCode int    // status for GET /hub/api/users/alice (0 = 200)
	mintCode int    // status for POST …/tokens (0 = 201 with serverToken)
}

// serverBanner is the fake sshd's identification, sent before it echoes.
const serverBanner = "SSH-2.0-fake_sshd\r\n"

// serverToken is what the fake hub mints; its sshd accepts only that.
const serverToken = "minted-server-token"

// fakeHub declares every route with Allow: which ones a row reaches is
// what the row's expected message proves.
func fakeHub(t *testing.T, st hubState) *fakehub.Hub {
	t.Helper()
	mux := fakehub.New(t)
	authed := func(r *http.Request) bool { return st.tokenOK && r.Header.Get("Authorization") == "token "+testToken }
	mux.Allow("GET /hub/api/user", func(w http.ResponseWriter, r *http.Request) {
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
	mux.Allow("GET /hub/api/users/alice", func(w http.ResponseWriter, r *http.Request) {
		if st.userCode != 0 {
			w.WriteHeader(st.userCode)
			w.Write([]byte(`{"message":"no"}`))
			return
		}
		w.Write([]byte(`{"name":"alice","servers":` + st.servers + `}`))
	})
	mux.Allow("POST /hub/api/users/alice/tokens", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !authed(r):
			w.WriteHeader(403)
			w.Write([]byte(`{"status":403,"message":"Missing or invalid credentials."}`))
		case st.mintCode != 0:
			w.WriteHeader(st.mintCode)
			w.Write([]byte(`{"status":403,"message":"Not assigning requested scopes access:servers!server=alice/ not held by user alice"}`))
		default:
			w.WriteHeader(201)
			w.Write([]byte(`{"id":"a1","token":"` + serverToken + `"}`))
		}
	})
	mux.Allow("POST /hub/api/users/alice/server", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte(`{"status":500,"message":"spawner exploded"}`))
	})
	mux.Allow("/user/alice/sshd/", func(w http.ResponseWriter, r *http.Request) {
		if st.sshd == 101 && r.Header.Get("Authorization") != "token "+serverToken {
			w.WriteHeader(403) // only the minted token opens the server
			return
		}
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
		// An SSH server (an older hubsshd: no resume offer) speaks first.
		c.Write(r.Context(), websocket.MessageBinary, []byte(serverBanner))
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, b)
		}
	})
	// A token minted for one proxy run is revoked when it ends (CI mode).
	mux.Allow("DELETE /hub/api/users/alice/tokens/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "a1" || !authed(r) {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(204)
	})
	mux.Allow("/hub/user/alice/sshd/", fakehub.Reply(404, `{"message":"not found"}`)) // where the 302 points
	return mux
}

func runCLI(t *testing.T, args []string, env map[string]string, stdin string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, args, NewFactory(Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb}, testEnv(t, env)))
	return out.String(), errb.String(), code
}

// testEnv is env plus a config directory of the test's own and no
// keyring, so no test reads or writes the real user's hubssh state.
func testEnv(t *testing.T, env map[string]string) Env {
	dir := t.TempDir()
	return func(k string) string {
		switch k {
		case "HUBSSH_CONFIG_DIR":
			return dir
		case "HUBSSH_NO_KEYRING":
			return "1"
		}
		return env[k]
	}
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
		{name: "missing --hub", noHub: true, wantCode: ExitUsage, wantMsg: "proxy needs a host alias (hubssh proxy ALIAS) or --hub URL"},
		{name: "stray argument", args: []string{"extra"}, wantCode: ExitUsage, wantMsg: `not both; got "extra"`},
		{name: "no token", noToken: true, wantCode: ExitAuth, wantMsg: "run \"hubssh login http"},
		{name: "token rejected", state: hubState{sshd: 403}, wantCode: ExitAuth, wantMsg: "the hub rejected the token in HUBSSH_TOKEN"},
		{name: "token rejected, user found by token", state: hubState{}, args: nil, wantCode: ExitAuth, wantMsg: "rejected the token"},
		{name: "hub down", deadHub: true, wantCode: ExitNetwork, wantMsg: "connection refused: the hub is down"},
		{name: "not a hub", state: hubState{html: true, sshd: 404}, wantCode: ExitUsage, wantMsg: "does not look like a JupyterHub"},
		{name: "server stopped, start fails", state: hubState{tokenOK: true, servers: `{}`, sshd: 302}, wantCode: ExitServer, wantMsg: "the hub failed to start alice's default server (HTTP 500: spawner exploded)"},
		{name: "no hubsshd in image", state: hubState{tokenOK: true, servers: running, sshd: 404}, wantCode: ExitServer, wantMsg: "/user/alice/sshd/ answered HTTP 404: hubsshd is not installed in this server's image"},
		{name: "stopped behind a 404", state: hubState{tokenOK: true, servers: `{"":{"ready":false,"pending":"spawn"}}`, sshd: 404}, wantCode: ExitServer, wantMsg: "is busy (spawn pending)"},
		{name: "token without access:servers", state: hubState{tokenOK: true, servers: running, sshd: 101, mintCode: 403}, wantCode: ExitAuth,
			wantMsg: "the hub will not issue a token for alice's default server (HTTP 403: Not assigning requested scopes"},
		{name: "server rejects a fresh token", state: hubState{tokenOK: true, servers: running, sshd: 403}, wantCode: ExitAuth,
			wantMsg: "alice's default server refused a token the hub issued for it a moment ago (HTTP 403)"},
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
	// Without --user the token's owner is asked for. stdin stays open until
	// the echo is back, so the test fails unless bytes went both ways.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		done <- Main(ctx, []string{"proxy", "--hub", hub.URL}, NewFactory(Stdio{In: inR, Out: outW, Err: &errb}, testEnv(t, map[string]string{TokenEnv: testToken})))
		outW.Close()
	}()
	probe := "SSH-2.0-probe\r\n"
	go inW.Write([]byte(probe))
	got := make([]byte, len(serverBanner+probe))
	if _, err := io.ReadFull(outR, got); err != nil || string(got) != serverBanner+probe {
		t.Fatalf("read %q, %v; want the banner and the echo %q (stderr %q)", got, err, serverBanner+probe, errb.String())
	}
	inW.Close()
	if rest, _ := io.ReadAll(outR); len(rest) != 0 {
		t.Errorf("stdout carried %q after the echo: only SSH bytes may appear", rest)
	}
	if code := <-done; code != ExitOK || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q; want 0 and silence", code, errb.String())
	}
	if n := hub.Calls("DELETE /hub/api/users/alice/tokens/{id}"); n != 1 {
		t.Errorf("the minted server token was revoked %d times at exit, want once", n)
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
