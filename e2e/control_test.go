//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/controlapi"
	"github.com/hubssh/hubssh/internal/devhub"
	"github.com/hubssh/hubssh/internal/testutil"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestControlIsolation(t *testing.T) {
	// Through the hub: another user's token reaches neither the key
	// deployment nor the host keys of alice's server.
	ensureServer(t, "alice", "")
	_, pub, err := devhub.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"bob", "carol"} {
		c := suite.hub.Control(who, "alice", "")
		if _, err := c.AddKey(ctx(t), string(pub)); !isDenied(err) {
			t.Errorf("%s deploying a key to alice's server: %v, want a refusal", who, err)
		}
		if _, err := c.HostKeys(ctx(t)); !isDenied(err) {
			t.Errorf("%s reading alice's host keys: %v, want a refusal", who, err)
		}
	}
	keys, err := suite.hub.Control("alice", "alice", "").Keys(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(string(pub), strings.TrimPrefix(k.Fingerprint, "SHA256:")) {
			t.Fatal("a refused key is in the file anyway")
		}
	}
}

func isDenied(err error) bool {
	var se *controlapi.StatusError
	return errors.As(err, &se) && (se.Code == 401 || se.Code == 403 || se.Code/100 == 3)
}

// controlSocket finds the unix socket of alice's control hubsshd from its
// command line, to talk to it without the hub and its proxy in between.
func controlSocket(t *testing.T) string { return aliceSocket(t, "--control-socket") }

// aliceSocket finds the socket a hubsshd of alice's default server on this
// suite's hub was started with (flag --socket or --control-socket): by the
// hub's marker in its environment, never "any alice on this machine" (another
// local hub may run beside the tests).
func aliceSocket(t *testing.T, flag string) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		for i, a := range args {
			if a == flag && i+1 < len(args) {
				env, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "environ"))
				if bytes.Contains(env, []byte("JUPYTERHUB_USER=alice\x00")) && bytes.Contains(env, []byte("JUPYTERHUB_SERVER_NAME=\x00")) &&
					bytes.Contains(env, []byte(devhubMarker())) {
					return args[i+1]
				}
			}
		}
	}
	t.Fatalf("no hubsshd %s process found for alice's default server", flag)
	return ""
}

// devhubMarker is the environment entry every process of this suite's hub
// carries.
func devhubMarker() string { return devhub.MarkerEnv + "=" + suite.hub.Dir + "\x00" }

func TestControlChecksTokenItself(t *testing.T) {
	// Bypass the proxy, as a jupyter-server-proxy that let unauthenticated
	// requests through would: hubsshd must still check every token.
	ensureServer(t, "alice", "")
	if _, err := suite.hub.HostKey(ctx(t), "alice", ""); err != nil { // starts it
		t.Fatal(err)
	}
	sock := controlSocket(t)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	tests := []struct {
		name, auth string
		want       int
	}{
		{"no token", "", 401},
		{"garbage token", "token " + strings.Repeat("0", 32), 403},
		{"bob's token", "token " + suite.hub.Token("bob"), 403},
		{"alice's token", "token " + suite.hub.Token("alice"), 200},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", "http://hubsshd/hostkeys", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: HTTP %d %s, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
}

func TestSocketsArePrivate(t *testing.T) {
	// Only the server's own user can reach hubsshd without the hub.
	c := newClient(t, "alice", "")                              // starts the control hubsshd
	if r := c.run(t, "", "ssh", c.alias, "true"); r.code != 0 { // and the SSH one
		t.Fatalf("ssh: %d %s", r.code, r.stderr)
	}
	for _, flag := range []string{"--socket", "--control-socket"} {
		sock := aliceSocket(t, flag)
		st, err := os.Stat(sock)
		if err != nil {
			t.Fatal(err)
		}
		dst, _ := os.Stat(filepath.Dir(sock))
		if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
			t.Errorf("%s %s: mode %04o in a dir of mode %04o; want 0600 in 0700", flag, sock, st.Mode().Perm(), dst.Mode().Perm())
		}
	}
}

func TestSSHUseReachesTheHub(t *testing.T) {
	c := newClient(t, "alice", "")
	last := func() time.Time {
		u, err := suite.hub.Admin().User(ctx(t), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if s := u.Servers[""]; s != nil && s.LastActivity != nil {
			return *s.LastActivity
		}
		return time.Time{}
	}
	time.Sleep(1500 * time.Millisecond) // let earlier reports settle
	before := last()
	start := time.Now()
	if r := c.run(t, "", "ssh", c.alias, "echo busy"); r.code != 0 {
		t.Fatalf("ssh: %d %s", r.code, r.stderr)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if got := last(); got.After(before) && !got.Before(start.Add(-time.Second)) {
			t.Logf("measured: SSH use reached the hub's last_activity %.1f s after the session", time.Since(start).Seconds())
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub's last_activity stayed %v (before %v) 15 s after SSH use", last(), before)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestRemoteSSHPattern(t *testing.T) {
	// What VS Code Remote-SSH does: "ssh -T HOST bash" with a script on
	// stdin that starts a server in the background and prints its port,
	// then traffic to that port through the SOCKS forward of "ssh -D".
	c := newClient(t, "alice", "")
	script := `python3 -u -m http.server 0 --bind 127.0.0.1 >"$HOME/.rs-http.log" 2>&1 </dev/null &
echo "pid=$!"
for i in $(seq 50); do grep -q 'port' "$HOME/.rs-http.log" && break; sleep 0.1; done
grep -o 'port [0-9]*' "$HOME/.rs-http.log"
`
	r := c.run(t, script, "ssh", "-T", c.alias, "bash")
	var pid, port int
	fmt.Sscanf(strings.ReplaceAll(r.stdout, "\n", " "), "pid=%d port %d", &pid, &port)
	if pid != 0 {
		t.Cleanup(func() { c.run(t, "", "ssh", c.alias, fmt.Sprintf("kill %d", pid)) })
	}
	if r.code != 0 || pid == 0 || port == 0 {
		t.Fatalf("install script: exit %d out %q err %q", r.code, r.stdout, r.stderr)
	}

	lp := testutil.FreePort(t)
	bg := c.background(t, "-N", "-D", fmt.Sprintf("127.0.0.1:%d", lp), c.alias)
	conn := testutil.DialRetry(t, "tcp", fmt.Sprintf("127.0.0.1:%d", lp), bg)
	defer conn.Close()
	testutil.SOCKS5Connect(t, conn, port)
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, _ := io.ReadAll(conn)
	if !bytes.HasPrefix(reply, []byte("HTTP/1.0 200")) {
		t.Fatalf("through SOCKS to the background server: %q", trunc(reply))
	}
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
