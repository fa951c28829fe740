package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/bench"
	"github.com/hubssh/hubssh/internal/devhub"
	"github.com/hubssh/hubssh/internal/hubapi"
)

type environment struct {
	dir    string
	hub    *devhub.Hub
	sshd   *bench.SSHD
	hubssh bench.Stack
	peer   bench.Stack
	direct bench.Stack
	pipe   bench.Pipe
	// pipeHTTP is the same pipe in jupyter-server-proxy's HTTP mode.
	pipeHTTP bench.Pipe
	// resume: hubssh with resume on and off, direct and through relays.
	resume []resumeStack
	relays []*relay
}

func (e *environment) close() {
	for _, r := range e.relays {
		r.Close()
	}
	if e.sshd != nil {
		e.sshd.Stop()
	}
	if e.hub != nil {
		e.hub.Close()
	}
	os.RemoveAll(e.dir)
}

// setup starts the hub with three jupyter-server-proxy entries in alice's
// server (hubsshd's "sshd", the peer's "peer-sshd" built by
// jupyter-sshd-proxy's own setup_sshd(), and the "pipe" backend), an
// OpenSSH sshd on loopback, and writes each stack's ssh config.
func setup(ctx context.Context, o *options) (*environment, error) {
	// Not under /tmp: OpenSSH's StrictModes (on in jupyter-sshd-proxy's
	// sshd) refuses authorized_keys below a world-writable directory.
	home, _ := os.UserHomeDir()
	base := filepath.Join(home, ".cache", "hubssh-dev")
	os.MkdirAll(base, 0o700)
	dir, err := os.MkdirTemp(base, "bench-")
	if err != nil {
		return nil, err
	}
	e := &environment{dir: dir}
	fail := func(err error) (*environment, error) { e.close(); return nil, err }

	key := filepath.Join(dir, "id")
	pub, err := bench.WriteKey(key)
	if err != nil {
		return fail(err)
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(pub), 0o600)

	// jupyter-sshd-proxy finds sshd on PATH.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin")
	hubDir := filepath.Join(dir, "hub")
	peerPy := strings.Join([]string{
		`c.ServerProxy.servers["pipe"] = {"command": [` + q(o.devhub) + `, "pipe-backend", "--socket", "{unix_socket}"],`,
		`    "unix_socket": True, "raw_socket_proxy": True, "timeout": 30, "launcher_entry": {"enabled": False}}`,
		// The same backend behind jupyter-server-proxy's HTTP mode, where
		// it proxies the websocket itself instead of relaying raw bytes.
		`c.ServerProxy.servers["pipe-http"] = {"command": [` + q(o.devhub) + `, "pipe-backend", "--websocket", "--socket", "{unix_socket}"],`,
		`    "unix_socket": True, "timeout": 30, "launcher_entry": {"enabled": False}}`,
		`import jupyter_sshd_proxy`,
		`c.ServerProxy.servers["peer-sshd"] = jupyter_sshd_proxy.setup_sshd()`,
	}, "\n")
	e.hub, err = devhub.Start(ctx, devhub.Options{
		Venv: o.venv, CHP: o.chp, Hubsshd: o.hubsshd, Dir: hubDir, Users: []string{"alice", "bob"},
		ServerConfigPy: peerPy, Extra: resumeOffPy,
		Env: map[string]string{"JUPYTER_SSHD_PROXY_AUTHORIZED_KEYS_PATH": authKeys},
	})
	if err != nil {
		return fail(err)
	}
	if err := startServer(ctx, e.hub); err != nil {
		return fail(err)
	}
	token := e.hub.Token("alice")
	u, _ := user.Current()

	// hubssh, set up the way a user does: login, connect.
	hh := filepath.Join(dir, "hubssh-home")
	os.MkdirAll(filepath.Join(hh, ".ssh"), 0o700)
	hubsshEnv := []string{"HOME=" + hh, "HUBSSH_CONFIG_DIR=" + filepath.Join(hh, "config"), "HUBSSH_NO_KEYRING=1"}
	if out, err := runWith(ctx, hubsshEnv, token, o.hubssh, "login", "--token-stdin", e.hub.URL.String()); err != nil {
		return fail(fmt.Errorf("hubssh login: %v: %s", err, out))
	}
	out, err := runWith(ctx, hubsshEnv, "", o.hubssh, "connect", "--prepare-only")
	if err != nil {
		return fail(fmt.Errorf("hubssh connect: %v: %s", err, out))
	}
	var prep struct{ Alias string }
	i := strings.IndexByte(out, '{')
	if i < 0 || json.Unmarshal([]byte(out[i:]), &prep) != nil || prep.Alias == "" {
		return fail(fmt.Errorf("hubssh connect --prepare-only said %q", out))
	}
	alias := prep.Alias
	e.hubssh = bench.Stack{Name: "hubssh", Config: filepath.Join(hh, ".ssh", "config"), Host: alias, Env: hubsshEnv,
		ServerPID: func() int { return alicesHubsshd(hubDir) }}

	// jupyter-sshd-proxy, as its users configure it: websocat with the
	// token in a header (expanded from the environment here, so it is not
	// in the config file; it is in websocat's argv, as it is for them).
	peerHost, err := os.ReadFile(filepath.Join(e.hub.Home("alice"), ".ssh", "jupyter_sshd_hostkey.pub"))
	if err != nil {
		return fail(fmt.Errorf("peer host key: %w", err))
	}
	wsBase := "ws://" + e.hub.URL.Host + "/" + hubapi.ServerPath("alice", "")
	peerCfg := fmt.Sprintf(`Host peer
  User %s
  ProxyCommand %s --binary -H="Authorization: token ${PEER_TOKEN}" asyncstdio: %speer-sshd/
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  HostKeyAlias peer
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, u.Username, o.websocat, wsBase, key, filepath.Join(dir, "peer_known_hosts"))
	os.WriteFile(filepath.Join(dir, "peer_known_hosts"), []byte("peer "+strings.TrimSpace(string(peerHost))+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "peer_config"), []byte(peerCfg), 0o600)
	e.peer = bench.Stack{Name: "jupyter-sshd-proxy", Config: filepath.Join(dir, "peer_config"), Host: "peer",
		Env: []string{"PEER_TOKEN=" + token}, ServerPID: func() int { return findRootPID("jupyter_sshd_hostkey", "") }}

	// OpenSSH on loopback TCP, no hub.
	e.sshd, err = bench.StartSSHD(ctx, o.sshd, dir, authKeys, nil)
	if err != nil {
		return fail(err)
	}
	directCfg := fmt.Sprintf("Host direct\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  HostKeyAlias direct\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n",
		e.sshd.Port, u.Username, key, filepath.Join(dir, "direct_known_hosts"))
	os.WriteFile(filepath.Join(dir, "direct_known_hosts"), append([]byte("direct "), ssh.MarshalAuthorizedKey(e.sshd.HostKey)...), 0o600)
	os.WriteFile(filepath.Join(dir, "direct_config"), []byte(directCfg), 0o600)
	e.direct = bench.Stack{Name: "OpenSSH direct", Config: filepath.Join(dir, "direct_config"), Host: "direct", ServerPID: e.sshd.PID}

	e.pipe = bench.Pipe{URL: wsBase + "pipe/", Token: token}
	e.pipeHTTP = bench.Pipe{URL: wsBase + "pipe-http/", Token: token}
	if e.resume, err = setupResume(ctx, o, e); err != nil {
		return fail(err)
	}
	return e, nil
}

func startServer(ctx context.Context, hub *devhub.Hub) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return hub.StartServer(ctx, "alice", "")
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func runWith(ctx context.Context, env []string, stdin, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// alicesHubsshd is the hubsshd serving alice's SSH on this hub (bob's
// serves the resume-off rows).
func alicesHubsshd(hubDir string) int {
	pids := bench.FindProcs(func(cmdline, environ string) bool {
		return strings.Contains(cmdline, "hubsshd") && strings.Contains(cmdline, "--socket") &&
			strings.Contains(environ, "JUPYTERHUB_USER=alice\x00") && strings.Contains(environ, hubDir)
	})
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}
