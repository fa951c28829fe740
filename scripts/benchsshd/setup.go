package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/bench"
)

type environment struct {
	stacks          []bench.Stack
	hubPID, sshdPID int
	procs           []*exec.Cmd
}

func (e *environment) stop() {
	for _, p := range e.procs {
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
}

func writeKey(path string) (ssh.PublicKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	return s.PublicKey(), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(ctx context.Context, port int, p *exec.Cmd, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return nil
		}
		if p.ProcessState != nil {
			return fmt.Errorf("%s exited", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not listen on %d", name, port)
}

// setup starts hubsshd and sshd with one client key and pinned host keys,
// and writes the ssh config both stacks use.
func setup(ctx context.Context, o *options, dir string) (*environment, error) {
	env := &environment{}
	clientPub, err := writeKey(filepath.Join(dir, "id"))
	if err != nil {
		return nil, err
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		return nil, err
	}
	sshdHostPub, err := writeKey(filepath.Join(dir, "sshd_host_key"))
	if err != nil {
		return nil, err
	}
	hubPort, err := freePort()
	if err != nil {
		return nil, err
	}
	sshdPort, err := freePort()
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
	env.procs = append(env.procs, hub)
	env.hubPID = hub.Process.Pid
	if err := waitPort(ctx, hubPort, hub, "hubsshd"); err != nil {
		env.stop()
		return nil, err
	}
	hubHostPub, err := os.ReadFile(filepath.Join(state, "ssh_host_ed25519_key.pub"))
	if err != nil {
		env.stop()
		return nil, err
	}

	// sshd wants its privilege separation directory and absolute paths.
	os.MkdirAll("/run/sshd", 0o755)
	cfg := strings.Join([]string{
		fmt.Sprintf("Port %d", sshdPort),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "sshd_host_key"),
		"AuthorizedKeysFile " + authKeys,
		"PidFile none",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		// Default MaxStartups 10:30:100 drops connections at random
		// beyond 10 unauthenticated ones: lift it for the concurrency run.
		"MaxStartups 200",
		"Subsystem sftp internal-sftp",
		"AcceptEnv LANG LC_*",
		"",
	}, "\n")
	cfgPath := filepath.Join(dir, "sshd_config")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	sshd := exec.Command(o.sshd, "-D", "-e", "-f", cfgPath)
	sshd.Stderr = &prefixWriter{}
	if err := sshd.Start(); err != nil {
		env.stop()
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	env.procs = append(env.procs, sshd)
	env.sshdPID = sshd.Process.Pid
	if err := waitPort(ctx, sshdPort, sshd, "sshd"); err != nil {
		env.stop()
		return nil, err
	}

	kh := fmt.Sprintf("hubsshd %s\nopenssh %s", strings.TrimSpace(string(hubHostPub)), ssh.MarshalAuthorizedKey(sshdHostPub))
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
`, hubPort, sshdPort, u.Username, filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts"))
	cfgFile := filepath.Join(dir, "ssh_config")
	os.WriteFile(cfgFile, []byte(sshCfg), 0o600)
	env.stacks = []bench.Stack{
		{Name: "hubsshd", Config: cfgFile, Host: "hubsshd", ServerPID: func() int { return env.hubPID }},
		{Name: "openssh", Config: cfgFile, Host: "openssh", ServerPID: func() int { return env.sshdPID }},
	}
	return env, nil
}

// prefixWriter keeps sshd's own log out of the results but visible.
type prefixWriter struct{}

func (prefixWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if l != "" {
			fmt.Fprintln(os.Stderr, "sshd:", l)
		}
	}
	return len(p), nil
}
