//go:build e2e

package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubssh/hubssh/internal/testutil"
)

// Sessions that survive the network (#12, docs/resume.md). mia's servers
// resume with the default window; ned's window is 10 s, to see it pass;
// oli's hubsshd runs with resume off, the wire of hubsshd before resume.

var resumedAfter = regexp.MustCompile(`hubssh: connection to .* resumed after ([0-9.]+) s`)

// resumeTime is the resume time hubssh reported, or fails the test.
func resumeTime(t *testing.T, stderr string) float64 {
	t.Helper()
	m := resumedAfter.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("hubssh did not say it resumed:\n%s", stderr)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

// session is an ssh process whose output a test reads line by line.
type session struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *testutil.Buffer
}

func (c *client) start(t *testing.T, args ...string) *session {
	t.Helper()
	return startSSH(t, c.env(), append([]string{"-F", c.config}, args...)...)
}

func startSSH(t *testing.T, env []string, args ...string) *session {
	t.Helper()
	cmd := exec.Command("ssh", args...)
	cmd.Env = env
	s := &session{cmd: cmd, stderr: &testutil.Buffer{}}
	s.in, _ = cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	s.out = bufio.NewReader(out)
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return s
}

// expect reads lines until one matches re, within d.
func (s *session) expect(t *testing.T, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	type res struct {
		m   []string
		err error
	}
	got := make(chan res, 1)
	go func() {
		for {
			line, err := s.out.ReadString('\n')
			if m := re.FindStringSubmatch(strings.TrimRight(line, "\r\n")); m != nil {
				got <- res{m: m}
				return
			}
			if err != nil {
				got <- res{err: err}
				return
			}
		}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("waiting for %s: %v (stderr %q)", re, r.err, s.stderr.String())
		}
		return r.m
	case <-time.After(d):
		t.Fatalf("no line matching %s within %s (stderr %q)", re, d, s.stderr.String())
	}
	return nil
}

func (s *session) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("ssh still runs after %s (stderr %q)", d, s.stderr.String())
	}
	return -1
}

// freezeProxy stops configurable-http-proxy with SIGSTOP, as a laptop's
// sleep or a dead Wi-Fi looks from both ends: connections stay open and
// carry nothing. The returned func thaws it (also at cleanup).
func freezeProxy(t *testing.T) func() {
	t.Helper()
	pid := suite.hub.ProxyPID()
	if pid == 0 {
		t.Fatal("no configurable-http-proxy to freeze")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	thaw := func() { once.Do(func() { syscall.Kill(pid, syscall.SIGCONT) }) }
	t.Cleanup(thaw)
	return thaw
}

func TestResumeBulkDownloadAcrossProxyKill(t *testing.T) {
	c := newClient(t, "mia", "")
	const size = 256 << 20
	r := c.run(t, "", "ssh", c.alias, fmt.Sprintf("head -c %d /dev/urandom > resume.bin && sha256sum resume.bin", size))
	if r.code != 0 {
		t.Fatalf("make the file: %d %s", r.code, r.stderr)
	}
	want := strings.Fields(r.stdout)[0]
	s := c.start(t, c.alias, "cat resume.bin")
	h := sha256.New()
	if _, err := io.CopyN(h, s.out, 64<<20); err != nil {
		t.Fatal(err)
	}
	killProxy(t) // mid-transfer: every websocket through the hub breaks
	n, err := io.Copy(h, s.out)
	if err != nil || n != size-64<<20 {
		t.Fatalf("after the proxy restart: %d bytes more, %v (stderr %q)", n, err, s.stderr.String())
	}
	if code := s.wait(t, time.Minute); code != 0 {
		t.Fatalf("ssh exit %d across a proxy restart: %s", code, s.stderr.String())
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("SHA-256 %s, want %s", got, want)
	}
	t.Logf("measured: a 256 MiB download resumed across a configurable-http-proxy kill in %.1f s", resumeTime(t, s.stderr.String()))
}

var pidLine = regexp.MustCompile(`PID=([0-9]+)`)

// jupyterPort is the port mia's Jupyter server listens on in the server,
// a TCP service a -L forward can reach there.
func jupyterPort(t *testing.T, c *client) int {
	t.Helper()
	r := c.run(t, "", "ssh", c.alias, "echo $JUPYTERHUB_SERVICE_URL")
	m := regexp.MustCompile(`:([0-9]+)/`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("the server's URL: %q %s", r.stdout, r.stderr)
	}
	p, _ := strconv.Atoi(m[1])
	return p
}

func getThrough(port int) error {
	// No keep-alive: ssh waits for forwarded connections to close before
	// it exits.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/user/mia/api", port))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"version"`) {
		return fmt.Errorf("HTTP %d %q", res.StatusCode, b)
	}
	return nil
}

func TestResumeShellAndForwardAcrossProxyKill(t *testing.T) {
	c := newClient(t, "mia", "")
	remote := jupyterPort(t, c)
	local := testutil.FreePort(t)
	s := c.start(t, "-tt", "-L", fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", local, remote), c.alias)
	io.WriteString(s.in, "echo PID=$$\n")
	before := s.expect(t, pidLine, 30*time.Second)[1]
	if err := retry(10*time.Second, func() error { return getThrough(local) }); err != nil {
		t.Fatalf("the forward before: %v", err)
	}
	killProxy(t)
	io.WriteString(s.in, "echo PID=$$\n")
	if after := s.expect(t, pidLine, 60*time.Second)[1]; after != before {
		t.Fatalf("the shell is PID %s after the proxy restart, was %s: a new session, not the old one", after, before)
	}
	if err := getThrough(local); err != nil {
		t.Fatalf("the forward after the proxy restart: %v", err)
	}
	io.WriteString(s.in, "exit\n")
	if code := s.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("ssh exit %d: %s", code, s.stderr.String())
	}
	t.Logf("measured: an ssh -tt shell and its -L forward resumed across a configurable-http-proxy kill in %.1f s", resumeTime(t, s.stderr.String()))
}

// TestResumeAcrossAFreeze: the path carries nothing for 65 s, as a laptop
// asleep sees it — past the 30 s in which both ends declare the websocket
// dead, past the 60 s the ssh config's keepalives used to allow, past
// hubsshd's 30 s × 3 SSH keepalives for a plain client. One freeze, three
// sessions (to keep CI short):
//   - mia's default server (the 15 min window): the shell goes on;
//   - ned's (a 10 s window: detached at 30 s, dropped at 40 s): ssh ends
//     within seconds of waking, with one line that says why;
//   - mia's server "again", whose hubsshd is killed during the freeze
//     (jupyter-server-proxy starts a new one): the resume fails at once
//     with "restarted", not after a timeout.
func TestResumeAcrossAFreeze(t *testing.T) {
	mia := newClient(t, "mia", "")
	ned := newClient(t, "ned", "")
	again := newClient(t, "mia", "again")
	shells := map[string]*session{}
	pids := map[string]string{}
	for name, c := range map[string]*client{"mia": mia, "ned": ned, "again": again} {
		s := c.start(t, "-tt", c.alias)
		io.WriteString(s.in, "echo PID=$$\n")
		pids[name] = s.expect(t, pidLine, 30*time.Second)[1]
		shells[name] = s
	}
	thaw := freezeProxy(t)
	syscall.Kill(hubsshdPID(t, "mia", "again", "--socket"), syscall.SIGKILL)
	time.Sleep(45 * time.Second)
	// By now the proxies know the path is dead and say so to the editor
	// (hubssh serve reads these files; docs/resume.md).
	files, _ := filepath.Glob(filepath.Join(mia.dir, ".config", "hubssh", "status", "*.json"))
	if len(files) != 1 {
		t.Errorf("mia's status files while resuming: %q, want her proxy's one", files)
	} else if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), `"state":"resuming"`) {
		t.Errorf("status file while resuming: %s", b)
	}
	time.Sleep(20 * time.Second)
	thaw()
	woke := time.Now()

	t.Run("within the window", func(t *testing.T) {
		s := shells["mia"]
		io.WriteString(s.in, "echo PID=$$\n")
		if after := s.expect(t, pidLine, 90*time.Second)[1]; after != pids["mia"] {
			t.Fatalf("the shell is PID %s after the freeze, was %s", after, pids["mia"])
		}
		t.Logf("measured: a shell came back %.1f s after a 65 s freeze of the path", time.Since(woke).Seconds())
		io.WriteString(s.in, "exit\n")
		if code := s.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("ssh exit %d: %s", code, s.stderr.String())
		}
	})
	t.Run("past the window", func(t *testing.T) {
		s := shells["ned"]
		code := s.wait(t, 45*time.Second)
		lines := hubsshLines(s.stderr.String())
		if code != 255 || len(lines) == 0 || !strings.Contains(lines[len(lines)-1], "ned's default server no longer holds this session (the connection was down longer than its resume window): connect again") {
			t.Fatalf("after the window: exit %d, hubssh said %q", code, lines)
		}
		t.Logf("measured: past the window, ssh ended %.1f s after the path woke", time.Since(woke).Seconds())
	})
	t.Run("hubsshd restarted", func(t *testing.T) {
		s := shells["again"]
		code := s.wait(t, 60*time.Second)
		lines := hubsshLines(s.stderr.String())
		if code != 255 || len(lines) == 0 || !strings.Contains(lines[len(lines)-1], `mia's server "again" was restarted while the connection was down, so the session is gone: connect again`) {
			t.Fatalf("after a restart of hubsshd: exit %d, hubssh said %q", code, lines)
		}
		t.Logf("measured: a resume aimed at a restarted hubsshd failed %.1f s after the path woke", time.Since(woke).Seconds())
		if r := again.run(t, "", "ssh", again.alias, "echo", "again"); r.code != 0 || r.stdout != "again\n" {
			t.Fatalf("a new connection after the restart: %d %q %s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestResumeEndsWhenTheLoginTokenIsRevoked: the server token hubssh holds
// would still open a websocket; revoking the login token must end the
// session at the next reattach all the same (#10).
func TestResumeEndsWhenTheLoginTokenIsRevoked(t *testing.T) {
	h := loginAndConnect(t, "mia")
	s := startSSH(t, h.env(), "-F", h.config, "-tt", h.alias)
	io.WriteString(s.in, "echo PID=$$\n")
	s.expect(t, pidLine, 30*time.Second)
	// Revoked while the session runs: it goes on (its server token is
	// valid) until the next reattach, which must fail.
	revokeToken(t, "mia", h.login.ID)
	killProxy(t)
	code := s.wait(t, time.Minute)
	want := fmt.Sprintf(`hubssh: the hub rejected the token (it may have expired or been revoked): create a new one at %shub/token and run "hubssh login %s"`, suite.hub.URL, suite.hub.URL)
	lines := hubsshLines(s.stderr.String())
	if code != 255 || len(lines) == 0 || lines[len(lines)-1] != want {
		t.Fatalf("resume after the login token was revoked: exit %d, hubssh said %q; want %q last", code, lines, want)
	}
}

// TestFiftySessionsResume: one proxy restart, fifty sessions at once.
func TestFiftySessionsResume(t *testing.T) {
	c := newClient(t, "mia", "")
	c.run(t, "", "ssh", c.alias, "true") // hubsshd starts with the first connection
	rssBefore := vmRSS(t, hubsshdPID(t, "mia", "", "--socket"))
	n := 50
	if v, err := strconv.Atoi(os.Getenv("HUBSSH_E2E_RESUME_SESSIONS")); err == nil {
		n = v
	}
	sessions := make([]*session, n)
	for i := range sessions {
		sessions[i] = c.start(t, c.alias, "echo up; read x; echo done $x")
	}
	for _, s := range sessions {
		s.expect(t, regexp.MustCompile(`^up$`), time.Minute)
	}
	pid := hubsshdPID(t, "mia", "", "--socket")
	t.Logf("measured: hubsshd holds %d idle resumable sessions in %.0f KiB more resident memory, %.0f KiB each", n,
		float64(vmRSS(t, pid)-rssBefore), float64(vmRSS(t, pid)-rssBefore)/float64(n))
	killProxy(t)
	for i, s := range sessions {
		fmt.Fprintf(s.in, "%d\n", i)
	}
	var times []float64
	for i, s := range sessions {
		s.expect(t, regexp.MustCompile(fmt.Sprintf(`^done %d$`, i)), 2*time.Minute)
		if code := s.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("session %d: exit %d: %s", i, code, s.stderr.String())
		}
		times = append(times, resumeTime(t, s.stderr.String()))
	}
	slowest := 0.0
	for _, x := range times {
		slowest = max(slowest, x)
	}
	t.Logf("measured: %d sessions resumed after one configurable-http-proxy kill, the slowest in %.1f s", n, slowest)
}

// TestPlainWebsocatClient: a peer's setup, websocat as the ProxyCommand of
// OpenSSH, still reaches the same sshd entry (it reads the resume offer as
// a line before the identification, RFC 4253 §4.2).
func TestPlainWebsocatClient(t *testing.T) {
	websocat := os.Getenv("HUBSSH_E2E_WEBSOCAT")
	if websocat == "" {
		t.Fatal("HUBSSH_E2E_WEBSOCAT is not set: scripts/test builds websocat and sets it")
	}
	c := newClient(t, "mia", "")
	ws := strings.Replace(suite.hub.URL.String(), "http", "ws", 1) + "user/mia/sshd/"
	token := suite.hub.Token("mia")
	// The token is in argv here as it is for jupyter-sshd-proxy's users:
	// the point is the wire, not the setup.
	proxy := fmt.Sprintf(`%s --binary -H="Authorization: token %s" asyncstdio: %s`, websocat, token, ws)
	r := c.run(t, "", "ssh", "-o", "ProxyCommand="+proxy, "-o", "HostKeyAlias="+c.alias, "-i", c.identity, c.alias, "echo", "plain")
	if r.code != 0 || r.stdout != "plain\n" {
		t.Fatalf("websocat + ssh: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// TestResumeOffHubsshd: oli's hubsshd runs with resume off, the wire of
// hubsshd before resume; today's hubssh carries plain SSH to it, and a
// proxy restart ends the session as it always did.
func TestResumeOffHubsshd(t *testing.T) {
	c := newClient(t, "oli", "")
	if r := c.run(t, "", "ssh", c.alias, "echo", "old"); r.code != 0 || r.stdout != "old\n" {
		t.Fatalf("to a hubsshd without resume: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	s := c.start(t, "-tt", c.alias)
	io.WriteString(s.in, "echo PID=$$\n")
	s.expect(t, pidLine, 30*time.Second)
	killProxy(t)
	if code := s.wait(t, time.Minute); code != 255 || !strings.Contains(s.stderr.String(), "connection to oli's default server lost") {
		t.Fatalf("without resume a proxy restart ends the session: exit %d, %q", code, s.stderr.String())
	}
}

// hubsshdPID finds the hubsshd of user's server on this suite's hub by
// its flag and the hub's marker.
func hubsshdPID(t *testing.T, user, server, flag string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), flag+"\x00") || !strings.Contains(string(b), "hubsshd") {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "environ"))
		if strings.Contains(string(env), "JUPYTERHUB_USER="+user+"\x00") && strings.Contains(string(env), "JUPYTERHUB_SERVER_NAME="+server+"\x00") &&
			strings.Contains(string(env), devhubMarker()) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("no hubsshd %s process for %s's server %q", flag, user, server)
	return 0
}

// vmRSS is a process's resident memory in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+([0-9]+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmRSS for %d", pid)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb
}

func retry(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
