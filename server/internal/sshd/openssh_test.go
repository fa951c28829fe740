package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/testutil"
	"golang.org/x/crypto/ssh"
)

// These tests drive the real OpenSSH client, the one Remote-SSH and people
// use, against hubsshd on a loopback TCP port. A missing client is a
// failure, not a skip: scripts/setup installs it.

func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: install openssh-client (scripts/setup does)", name)
	}
	return p
}

type openssh struct {
	dir        string
	args       []string // common options, without port or destination
	port       string
	lastStderr *testutil.Buffer // of the last background ssh
}

// startOpenSSH serves f on 127.0.0.1 and writes a client key, known_hosts
// and option list for OpenSSH.
func startOpenSSH(t *testing.T, f *fixture) *openssh {
	t.Helper()
	requireTool(t, "ssh")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() { cancel(); <-done })

	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	authorize(t, f.home, signer.PublicKey())
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte("hubsshd-test "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(f.hostKey)))+"\n"), 0o600)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &openssh{dir: dir, port: port, args: []string{
		"-F", "none", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + kh, "-o", "StrictHostKeyChecking=yes",
		"-o", "HostKeyAlias=hubsshd-test", "-o", "LogLevel=ERROR",
	}}
}

func (o *openssh) run(t *testing.T, tool string, extra []string, stdin string) (string, string, int) {
	t.Helper()
	args := append([]string{}, o.args...)
	portFlag := "-p"
	if tool != "ssh" {
		portFlag = "-P"
	}
	args = append(args, portFlag, o.port)
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out.String(), errb.String(), code
}

func TestOpenSSHClient(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantOut  string // regexp, whole output
		wantCode int
	}{
		{name: "exec", args: []string{"127.0.0.1", "echo ok"}, wantOut: `ok\n`},
		{name: "exit status", args: []string{"127.0.0.1", "exit 42"}, wantCode: 42},
		{name: "stdin through cat", args: []string{"127.0.0.1", "cat"}, stdin: "line1\nline2\n", wantOut: `line1\nline2\n`},
		{name: "no pty by default", args: []string{"127.0.0.1", "tty"}, wantOut: `not a tty\n`, wantCode: 1},
		{name: "pty with -tt", args: []string{"-tt", "127.0.0.1", "tty"}, wantOut: `/dev/pts/\d+\r\n`},
		{name: "Remote-SSH shape: -T bash, script on stdin", args: []string{"-T", "127.0.0.1", "bash"}, stdin: "echo from-bash; exit 5\n", wantOut: `from-bash\n`, wantCode: 5},
		{name: "Cursor shape: bash --login -c bash", args: []string{"-T", "127.0.0.1", "bash --login -c bash"}, stdin: "echo hi\n", wantOut: `hi\n`},
		{name: "shell without pty", args: []string{"-T", "127.0.0.1"}, stdin: "echo $0\n", wantOut: `-bash\n`},
		{name: "env LANG forwarded", args: []string{"-o", "SetEnv=LANG=C.UTF-8", "127.0.0.1", "echo $LANG"}, wantOut: `C\.UTF-8\n`},
		{name: "keepalives answered", args: []string{"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2", "127.0.0.1", "sleep 3; echo alive"}, wantOut: `alive\n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := o.run(t, "ssh", tt.args, tt.stdin)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr %q", code, tt.wantCode, errOut)
			}
			if !regexp.MustCompile(`\A` + tt.wantOut + `\z`).MatchString(out) {
				t.Errorf("stdout %q, want /%s/", out, tt.wantOut)
			}
		})
	}
}

func TestOpenSSHFileTransfer(t *testing.T) {
	f := newFixture(t)
	o := startOpenSSH(t, f)
	requireTool(t, "sftp")
	requireTool(t, "scp")
	data := make([]byte, 5<<20)
	rand.Read(data)
	src := filepath.Join(o.dir, "src.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T, path string) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s differs from the source (err %v, %d bytes)", path, err, len(got))
		}
	}

	t.Run("sftp put and get", func(t *testing.T) {
		back := filepath.Join(o.dir, "sftp-back.bin")
		batch := fmt.Sprintf("put %s sftp.bin\nget sftp.bin %s\n", src, back)
		_, errOut, code := o.run(t, "sftp", []string{"-b", "-", "127.0.0.1"}, batch)
		if code != 0 {
			t.Fatalf("sftp exit %d: %s", code, errOut)
		}
		same(t, filepath.Join(f.home, "sftp.bin"))
		same(t, back)
	})
	// As OpenSSH's sftp-server does (#16): a relative symlink target is
	// stored as typed, and a plain rename (-l: not posix-rename) never
	// replaces an existing file.
	t.Run("sftp ln -s keeps a relative target", func(t *testing.T) {
		os.WriteFile(filepath.Join(f.home, "target.txt"), []byte("t"), 0o600)
		_, errOut, code := o.run(t, "sftp", []string{"-b", "-", "127.0.0.1"}, "ln -s target.txt link.txt\n")
		if code != 0 {
			t.Fatalf("sftp exit %d: %s", code, errOut)
		}
		if got, err := os.Readlink(filepath.Join(f.home, "link.txt")); err != nil || got != "target.txt" {
			t.Errorf("link.txt points to %q (%v), want \"target.txt\" as typed", got, err)
		}
	})
	t.Run("sftp rename -l refuses to replace a file", func(t *testing.T) {
		os.WriteFile(filepath.Join(f.home, "keep.txt"), []byte("mine"), 0o600)
		os.WriteFile(filepath.Join(f.home, "other.txt"), []byte("other"), 0o600)
		_, errOut, code := o.run(t, "sftp", []string{"-b", "-", "127.0.0.1"}, "rename -l other.txt keep.txt\n")
		if code == 0 {
			t.Errorf("rename onto an existing file succeeded")
		}
		if b, _ := os.ReadFile(filepath.Join(f.home, "keep.txt")); string(b) != "mine" {
			t.Errorf("keep.txt now holds %q: the rename replaced it (%s)", b, errOut)
		}
		if _, errOut, code = o.run(t, "sftp", []string{"-b", "-", "127.0.0.1"}, "rename -l other.txt new.txt\nrename keep.txt new.txt\n"); code != 0 {
			t.Fatalf("rename to a new name, then posix-rename over it: exit %d: %s", code, errOut)
		}
		if b, _ := os.ReadFile(filepath.Join(f.home, "new.txt")); string(b) != "mine" {
			t.Errorf("after posix-rename new.txt holds %q, want the renamed keep.txt", b)
		}
	})
	t.Run("scp (SFTP protocol) exits 0", func(t *testing.T) {
		_, errOut, code := o.run(t, "scp", []string{src, "127.0.0.1:scp.bin"}, "")
		if code != 0 {
			t.Fatalf("scp exit %d, want 0 (exit-status after sftp): %s", code, errOut)
		}
		same(t, filepath.Join(f.home, "scp.bin"))
	})
}
