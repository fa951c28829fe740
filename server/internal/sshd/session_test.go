package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func TestExec(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	long := strings.Repeat("x", 100<<10) // Remote-SSH sends long command lines
	tests := []struct {
		name     string
		cmd      string
		stdin    string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "echo", cmd: "echo ok", wantOut: "ok\n"},
		{name: "stderr apart", cmd: "echo out; echo err >&2", wantOut: "out\n", wantErr: "err\n"},
		{name: "exit code", cmd: "exit 42", wantCode: 42},
		{name: "stdin to EOF", cmd: "cat; echo done", stdin: "a\nb\n", wantOut: "a\nb\ndone\n"},
		{name: "no stdin", cmd: "wc -c", wantOut: "0\n"},
		{name: "long command line", cmd: "printf %s " + long + " | wc -c", wantOut: fmt.Sprintf("%d\n", len(long))},
		{name: "home is cwd", cmd: "pwd", wantOut: f.home + "\n"},
		{name: "server env kept", cmd: "echo $FROM_SERVER $USER $LOGNAME", wantOut: "1 tester tester\n"},
		{name: "ssh env set", cmd: `test -n "$SSH_CONNECTION" && test -n "$SSH_CLIENT" && test -z "$SSH_TTY" && echo yes`, wantOut: "yes\n"},
		{name: "no tty without pty-req", cmd: "tty", wantOut: "not a tty\n", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := client.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var out, errOut bytes.Buffer
			s.Stdout, s.Stderr = &out, &errOut
			s.Stdin = strings.NewReader(tt.stdin)
			err = s.Run(tt.cmd)
			if got := exitCode(t, err); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", got, tt.wantCode, errOut.String())
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", trunc(out.String()), trunc(tt.wantOut))
			}
			if errOut.String() != tt.wantErr {
				t.Errorf("stderr = %q, want %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// newSession is a fixture and one session on it, closed with the test.
func newSession(t *testing.T) (*fixture, *ssh.Session) {
	t.Helper()
	f := newFixture(t)
	s, err := f.mustDial(t).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return f, s
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return ee.ExitStatus()
	}
	t.Fatalf("session ended without an exit status: %v", err)
	return -1
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestExitSignal(t *testing.T) {
	_, s := newSession(t)
	err := s.Run("kill -TERM $$")
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.Signal() != "TERM" {
		t.Fatalf("Run = %v, want exit-signal TERM", err)
	}
}

func TestSignalRequest(t *testing.T) {
	_, s := newSession(t)
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("echo started; sleep 30"); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 8)
	if _, err := io.ReadFull(out, line); err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(ssh.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	err = waitTimeout(t, s, 10*time.Second)
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.Signal() != "USR1" {
		t.Fatalf("Wait = %v, want exit-signal USR1", err)
	}
}

func waitTimeout(t *testing.T, s *ssh.Session, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("session did not end within %s", d)
		return nil
	}
}

func TestPTY(t *testing.T) {
	_, s := newSession(t)
	if err := s.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.Stdout = &out
	stdin, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// window-change has no reply to wait for: the script waits until the
	// pty has the new size (or the test's timeout ends it).
	if err := s.Start(`read x; until [ "$(stty size)" = "50 132" ]; do sleep 0.01; done; tty; echo "term=$TERM tty=$SSH_TTY"; stty size; exit 3`); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "go")
	if err := s.WindowChange(50, 132); err != nil {
		t.Fatal(err)
	}
	err = waitTimeout(t, s, 10*time.Second)
	if got := exitCode(t, err); got != 3 {
		t.Errorf("exit code = %d, want 3", got)
	}
	text := strings.ReplaceAll(out.String(), "\r", "")
	for _, re := range []string{`(?m)^/dev/pts/\d+$`, `(?m)^term=xterm-256color tty=/dev/pts/\d+$`, `(?m)^50 132$`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("pty output %q does not match %s", text, re)
		}
	}
}

func TestShellWithoutPTY(t *testing.T) {
	// Remote-SSH's local-server mode: a shell request without pty-req, the
	// script typed into the login shell.
	_, s := newSession(t)
	var out bytes.Buffer
	s.Stdout = &out
	s.Stdin = strings.NewReader("echo $0; tty; exit 7\n")
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	if got := exitCode(t, waitTimeout(t, s, 10*time.Second)); got != 7 {
		t.Errorf("exit code = %d, want 7", got)
	}
	if want := "-bash\nnot a tty\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
}

func TestEnvRequests(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	tests := []struct {
		name, value string
		accepted    bool
	}{
		{"LANG", "C.UTF-8", true},
		{"LC_ALL", "C", true},
		{"LD_PRELOAD", "/tmp/x.so", false},
		{"PATH", "/evil", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := client.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Setenv(tt.name, tt.value)
			if (err == nil) != tt.accepted {
				t.Fatalf("Setenv(%s) error = %v, accepted want %v", tt.name, err, tt.accepted)
			}
			out, err := s.Output(`printf %s "$` + tt.name + `"`)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(out) == tt.value; got != tt.accepted {
				t.Errorf("%s in session = %q; set = %v, want %v", tt.name, out, got, tt.accepted)
			}
		})
	}
}

func TestSecondCommandRefused(t *testing.T) {
	f, s := newSession(t)
	if err := s.Start("sleep 1"); err != nil {
		t.Fatal(err)
	}
	f.killCommandsAtEnd(t)
	ok, err := s.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"true"}))
	if err != nil || ok {
		t.Fatalf("second exec on one session: ok=%v err=%v, want refused", ok, err)
	}
}

func TestBackgroundChildSurvives(t *testing.T) {
	// Remote-SSH starts its server with "… &> log &" in an exec and expects
	// it to outlive the exec (vscode-remote-release#10403).
	_, s := newSession(t)
	start := time.Now()
	out, err := s.Output("sleep 60 >/dev/null 2>&1 </dev/null & echo $!")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("exec with a background child took %s; it must return at once", d)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("pid %q: %v", out, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	s.Close()
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("background child %d died with its session: %v", pid, err)
	}
}

func TestSFTP(t *testing.T) {
	f := newFixture(t)
	client := f.mustDial(t)
	// A raw channel: x/crypto's Session cannot wait for the exit status of
	// a subsystem, and that status is what this test is about.
	ch, reqs, err := client.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	status := make(chan int, 1)
	go func() {
		for r := range reqs {
			if r.Type == "exit-status" {
				var p struct{ Status uint32 }
				ssh.Unmarshal(r.Payload, &p)
				status <- int(p.Status)
			}
		}
		close(status)
	}()
	ok, err := ch.SendRequest("subsystem", true, ssh.Marshal(struct{ Name string }{"sftp"}))
	if err != nil || !ok {
		t.Fatalf("subsystem sftp: ok=%v err=%v", ok, err)
	}
	sc, err := sftp.NewClientPipe(ch, ch)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := sc.Getwd()
	if err != nil || wd != f.home {
		t.Errorf("Getwd = %q, %v; want the home %q", wd, err, f.home)
	}
	data := bytes.Repeat([]byte("hubssh "), 300_000) // ~2 MiB, many packets
	fh, err := sc.Create("up.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write(data); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	onDisk, err := os.ReadFile(filepath.Join(f.home, "up.bin"))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("uploaded file differs on disk (err %v, %d vs %d bytes)", err, len(onDisk), len(data))
	}
	rh, err := sc.Open(filepath.Join(f.home, "up.bin"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rh)
	rh.Close()
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("downloaded file differs (err %v)", err)
	}
	// Ending sftp is an EOF on the channel. scp (SFTP mode since OpenSSH 9)
	// exits 1 unless an exit-status follows (pkg/sftp#321).
	ch.CloseWrite()
	select {
	case code, ok := <-status:
		if !ok || code != 0 {
			t.Fatalf("exit-status after sftp: got %d (sent: %v), want 0", code, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit-status within 5 s of the sftp end")
	}
}

func TestUnknownSubsystemRefused(t *testing.T) {
	_, s := newSession(t)
	if err := s.RequestSubsystem("netconf"); err == nil {
		t.Fatal("subsystem netconf accepted")
	}
}

// TestPTYHungUpWithItsSession: a pty's processes get SIGHUP when the
// session ends, whether the client closed the channel or the connection
// dropped (the session's context), as under sshd.
func TestPTYHungUpWithItsSession(t *testing.T) {
	for _, how := range []string{"channel closed", "connection dropped"} {
		t.Run(how, func(t *testing.T) {
			f := newFixture(t)
			c := f.mustDial(t)
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
				t.Fatal(err)
			}
			out, _ := s.StdoutPipe()
			if err := s.Start("echo pid=$$; exec sleep 60"); err != nil {
				t.Fatal(err)
			}
			var pid int
			if _, err := fmt.Fscanf(out, "pid=%d", &pid); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			if how == "channel closed" {
				s.Close()
			} else {
				c.Close()
			}
			deadline := time.Now().Add(5 * time.Second)
			for syscall.Kill(pid, 0) == nil {
				if time.Now().After(deadline) {
					t.Fatalf("the pty's process %d still runs 5 s after the session ended", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
