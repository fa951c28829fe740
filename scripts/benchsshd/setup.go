package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/bench"
)

type environment struct {
	stacks          []bench.Stack
	hubPID, sshdPID int
	hub             *exec.Cmd
	sshd            *bench.SSHD
}

func (e *environment) stop() {
	if e.hub != nil {
		bench.Stop(e.hub)
	}
	if e.sshd != nil {
		e.sshd.Stop()
	}
}

// setup starts hubsshd and sshd with one client key and pinned host keys,
// and writes the ssh config both stacks use.
func setup(ctx context.Context, o *options, dir string) (*environment, error) {
	env := &environment{}
	clientPub, err := bench.WriteKey(filepath.Join(dir, "id"))
	if err != nil {
		return nil, err
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		return nil, err
	}
	hubPort, err := bench.FreePort()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o700)
	state := filepath.Join(dir, "hubsshd-state")
	hub := exec.Command(o.hubsshd, "--listen", fmt.Sprintf("127.0.0.1:%d", hubPort), "--state-dir", state, "--authorized-keys", authKeys)
	hub.Env = append(os.Environ(), "HOME="+home, "JUPYTERHUB_ACTIVITY_URL=")
	if err := hub.Start(); err != nil {
		return nil, fmt.Errorf("start hubsshd: %w", err)
	}
	env.hub, env.hubPID = hub, hub.Process.Pid
	if err := bench.WaitPort(ctx, hubPort, hub, "hubsshd"); err != nil {
		env.stop()
		return nil, err
	}
	hubHostPub, err := os.ReadFile(filepath.Join(state, "ssh_host_ed25519_key.pub"))
	if err != nil {
		env.stop()
		return nil, err
	}
	sshd, err := bench.StartSSHD(ctx, o.sshd, dir, authKeys, func(l string) { fmt.Fprintln(os.Stderr, "sshd:", l) })
	if err != nil {
		env.stop()
		return nil, err
	}
	env.sshd, env.sshdPID = sshd, sshd.PID()

	kh := fmt.Sprintf("hubsshd %s\nopenssh %s", strings.TrimSpace(string(hubHostPub)), ssh.MarshalAuthorizedKey(sshd.HostKey))
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(kh), 0o600)
	u, _ := user.Current()
	sshCfg := fmt.Sprintf(`Host hubsshd
  HostName 127.0.0.1
  Port %d
  HostKeyAlias hubsshd
Host openssh
  HostName 127.0.0.1
  Port %d
  HostKeyAlias openssh
Host *
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, hubPort, sshd.Port, u.Username, filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts"))
	cfgFile := filepath.Join(dir, "ssh_config")
	os.WriteFile(cfgFile, []byte(sshCfg), 0o600)
	env.stacks = []bench.Stack{
		{Name: "hubsshd", Config: cfgFile, Host: "hubsshd", ServerPID: func() int { return env.hubPID }},
		{Name: "openssh", Config: cfgFile, Host: "openssh", ServerPID: func() int { return env.sshdPID }},
	}
	return env, nil
}
