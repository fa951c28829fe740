package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// WriteKey writes a new ed25519 private key (OpenSSH format, 0600) and
// returns its public key.
func WriteKey(path string) (ssh.PublicKey, error) {
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

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitPort waits until something accepts on 127.0.0.1:port.
func WaitPort(ctx context.Context, port int, p *exec.Cmd, name string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return nil
		}
		if p != nil && p.ProcessState != nil {
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

// SSHD is OpenSSH's sshd run by hand on a loopback port: the reference.
type SSHD struct {
	Port    int
	HostKey ssh.PublicKey
	cmd     *exec.Cmd
}

// PID is the listening sshd's process (its children serve connections).
func (s *SSHD) PID() int { return s.cmd.Process.Pid }

// Stop ends sshd and its children.
func (s *SSHD) Stop() { Stop(s.cmd) }

// Stop sends SIGTERM, then SIGKILL after 5 s.
func Stop(p *exec.Cmd) {
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

// StartSSHD runs sshd on 127.0.0.1 with its own host key in dir, accepting
// the keys in authorizedKeys. Root only (privilege separation).
func StartSSHD(ctx context.Context, sshdPath, dir, authorizedKeys string, stderr func(string)) (*SSHD, error) {
	hostPub, err := WriteKey(filepath.Join(dir, "sshd_host_key"))
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	os.MkdirAll("/run/sshd", 0o755)
	cfg := strings.Join([]string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "sshd_host_key"),
		"AuthorizedKeysFile " + authorizedKeys,
		"PidFile none",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		// The default MaxStartups 10:30:100 drops connections at random
		// beyond 10 unauthenticated ones: lift it for concurrency runs.
		"MaxStartups 200",
		"Subsystem sftp internal-sftp",
		"AcceptEnv LANG LC_*",
		"",
	}, "\n")
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
	cmd.Stderr = lineWriter(stderr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	s := &SSHD{Port: port, HostKey: hostPub, cmd: cmd}
	if err := WaitPort(ctx, port, cmd, "sshd"); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// lineWriter hands each line written to it to f (nil: discard).
type lineWriter func(string)

func (f lineWriter) Write(p []byte) (int, error) {
	if f != nil {
		for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
			if l != "" {
				f(l)
			}
		}
	}
	return len(p), nil
}
