//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExec(t *testing.T) {
	c := newClient(t, "alice", "")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantOut  string // regexp for the whole stdout
		wantCode int
	}{
		{name: "echo", args: []string{c.alias, "echo ok"}, wantOut: `ok\n`},
		{name: "exit status propagates", args: []string{c.alias, "exit 42"}, wantCode: 42},
		{name: "stdin through cat", args: []string{c.alias, "cat"}, stdin: "one\ntwo\n", wantOut: `one\ntwo\n`},
		{name: "no tty without -t", args: []string{c.alias, "tty"}, wantOut: `not a tty\n`, wantCode: 1},
		{name: "pty with -tt", args: []string{"-tt", c.alias, "tty"}, wantOut: `/dev/pts/\d+\r\n`},
		{name: "in the server's environment", args: []string{c.alias, `echo "$JUPYTERHUB_USER $PWD"`},
			wantOut: regexp.QuoteMeta("alice "+suite.hub.Home("alice")) + `\n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(t, tt.stdin, "ssh", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.wantCode, r.stderr)
			}
			if !regexp.MustCompile(`\A` + tt.wantOut + `\z`).MatchString(r.stdout) {
				t.Errorf("stdout %q, want /%s/", r.stdout, tt.wantOut)
			}
		})
	}
}

func TestConnectTime(t *testing.T) {
	c := newClient(t, "alice", "")
	var took []time.Duration
	for range 7 {
		r := c.run(t, "", "ssh", c.alias, "true")
		if r.code != 0 {
			t.Fatalf("ssh true: exit %d: %s", r.code, r.stderr)
		}
		took = append(took, r.took)
	}
	slices.Sort(took)
	t.Logf("measured: ssh ALIAS true, server running: median %s, min %s, max %s (7 runs)",
		took[len(took)/2].Round(time.Millisecond), took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}

func TestStdinStream(t *testing.T) {
	c := newClient(t, "alice", "")
	data := make([]byte, 16<<20)
	rand.Read(data)
	want := fmt.Sprintf("%x", sha256.Sum256(data))
	r := c.run(t, string(data), "ssh", c.alias, "sha256sum")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := strings.Fields(r.stdout); len(got) == 0 || got[0] != want {
		t.Fatalf("remote checksum %q, want %s", r.stdout, want)
	}
}

func TestSFTP100MiB(t *testing.T) {
	c := newClient(t, "alice", "")
	src := filepath.Join(c.dir, "src.bin")
	back := filepath.Join(c.dir, "back.bin")
	sum := writeRandom(t, src, 100<<20)
	mib := 100.0
	for _, step := range []struct{ name, batch, check string }{
		{"put", fmt.Sprintf("put %s big.bin\n", src), filepath.Join(suite.hub.Home("alice"), "big.bin")},
		{"get", fmt.Sprintf("get big.bin %s\n", back), back},
	} {
		r := c.run(t, step.batch, "sftp", "-b", "-", c.alias)
		if r.code != 0 {
			t.Fatalf("sftp %s: exit %d: %s", step.name, r.code, r.stderr)
		}
		if got := fileSum(t, step.check); got != sum {
			t.Fatalf("after sftp %s, %s has checksum %s, want %s", step.name, step.check, got, sum)
		}
		t.Logf("measured: sftp %s 100 MiB in %.2f s = %.1f MiB/s", step.name, r.took.Seconds(), mib/r.took.Seconds())
	}
	os.Remove(filepath.Join(suite.hub.Home("alice"), "big.bin"))
}

func TestNamedServer(t *testing.T) {
	c := newClient(t, "alice", "gpu")
	r := c.run(t, "", "ssh", c.alias, `echo "server=$JUPYTERHUB_SERVER_NAME"`)
	if r.code != 0 || r.stdout != "server=gpu\n" {
		t.Fatalf("exit %d stdout %q stderr %q; want server=gpu", r.code, r.stdout, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := suite.hub.StopServer(ctx, "alice", "gpu"); err != nil {
		t.Fatal(err)
	}
}

func TestFlagFormStartsAStoppedServer(t *testing.T) {
	// bob's server was never started. "hubssh proxy --hub" starts it as
	// "hubssh proxy ALIAS" does: one proxy path (#11), the hub's progress on
	// stderr, nothing on stdout but the SSH stream.
	p := runProxy(t, suite.hub.Token("bob"), "--user", "bob")
	if p.code != 0 || p.stdout != "" && !strings.HasPrefix(p.stdout, "SSH-2.0-hubsshd_") {
		t.Errorf("hubssh proxy: exit %d stdout %.30q stderr %q; want 0 and at most hubsshd's banner", p.code, p.stdout, p.stderr)
	}
	lines := hubsshLines(p.stderr)
	if len(lines) == 0 || !strings.HasSuffix(lines[len(lines)-1], "100% Server ready at /user/bob/") {
		t.Errorf("progress %q, want the hub's messages ending in Server ready", lines)
	}
	u, err := suite.hub.Admin().User(ctx(t), "bob")
	if err != nil || !u.Servers[""].Running() {
		t.Errorf("bob's server after the proxy: %v %+v", err, u)
	}
	if err := suite.hub.StopServer(ctx(t), "bob", ""); err != nil {
		t.Fatal(err)
	}
}

func TestBadToken(t *testing.T) {
	c := newClient(t, "alice", "")
	bad := strings.Repeat("0", 32)
	r := c.runEnv(t, "", []string{"HUBSSH_TOKEN=" + bad}, "ssh", c.alias, "true")
	if r.code != 255 {
		t.Errorf("ssh exit %d, want 255", r.code)
	}
	want := fmt.Sprintf("hubssh: the hub rejected the token in HUBSSH_TOKEN (it may have expired or been revoked): create a new one at %shub/token and put it in HUBSSH_TOKEN", suite.hub.URL)
	if lines := hubsshLines(r.stderr); len(lines) != 1 || lines[0] != want {
		t.Errorf("hubssh said %q, want exactly %q", lines, want)
	}
	if strings.Contains(r.stderr, bad) {
		t.Error("the token appears in the error output")
	}
	p := runProxy(t, bad, "--user", "alice")
	if p.code != 3 || p.stdout != "" {
		t.Errorf("hubssh proxy: exit %d stdout %q; want 3 and nothing", p.code, p.stdout)
	}
}

func TestOtherUsersServer(t *testing.T) {
	// carol's token must not open alice's server.
	ensureServer(t, "alice", "")
	p := runProxy(t, suite.hub.Token("carol"), "--user", "alice")
	if p.code != 3 || !strings.Contains(p.stderr, "no access to alice's servers") {
		t.Errorf("exit %d stderr %q; want 3 and no access", p.code, p.stderr)
	}
}

func TestTokenNeverInArgvOrConfig(t *testing.T) {
	c := newClient(t, "alice", "")
	cfg, err := os.ReadFile(c.config)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cfg, []byte(c.token)) {
		t.Fatal("the ssh config contains the token")
	}
	// While a session is open, no process's command line holds the token.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", "-F", c.config, c.alias, "echo up; sleep 3")
	cmd.Env = c.env()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 3)
	if _, err := io.ReadFull(out, line); err != nil {
		t.Fatalf("session did not come up: %v", err)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	checked := 0
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		checked++
		if bytes.Contains(b, []byte(c.token)) {
			t.Errorf("%s holds the token: %q", p, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	if checked < 5 {
		t.Fatalf("read only %d command lines; the check proves nothing", checked)
	}
	cmd.Wait()
}

// runProxy runs "hubssh proxy" by itself, as ssh would, with stdin closed.
func runProxy(t *testing.T, token string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.hubssh, append([]string{"proxy", "--hub", suite.hub.URL.String()}, args...)...)
	cmd.Env = append(os.Environ(), "HUBSSH_TOKEN="+token, "HUBSSH_CONFIG_DIR="+t.TempDir(), "HUBSSH_NO_KEYRING=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeRandom(t *testing.T, path string, n int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
