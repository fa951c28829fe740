package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/rpc"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/fakehub"
)

const loginToken = "login-token-secret"

// world is an injected Factory: a config dir and ssh config of the test's
// own, a browser and a subprocess runner that record, buffers for streams.
type world struct {
	t       *testing.T
	f       *Factory
	dir     string
	out     bytes.Buffer
	err     bytes.Buffer
	opened  []string   // pages the browser was asked to show
	browser error      // what the browser answers
	ran     [][]string // subprocesses, name first
	exit    int        // the exit status a subprocess gives
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, dir: t.TempDir()}
	w.f = &Factory{
		Env: func(string) string { return "" },
		Service: func() (*core.Service, error) {
			return &core.Service{
				Store:   &store.Store{Dir: w.dir},
				Secrets: &store.Secrets{Dir: w.dir, Keyring: store.NoKeyring{}},
				SSH:     sshconfig.Files{User: filepath.Join(w.dir, "ssh_config"), Legacy: filepath.Join(w.dir, "legacy")},
				Hubssh:  "/usr/bin/hubssh",
				Notice:  func(s string) { fmt.Fprintln(&w.err, "hubssh:", s) },
			}, nil
		},
		OpenBrowser: func(u string) error { w.opened = append(w.opened, u); return w.browser },
		// The subprocess is this test binary, which TestMain makes exit
		// with w.exit: no shell needed, so it runs under Wine too.
		Command: func(ctx context.Context, name string, args ...string) *exec.Cmd {
			w.ran = append(w.ran, append([]string{name}, args...))
			cmd := exec.CommandContext(ctx, os.Args[0])
			cmd.Env = append(os.Environ(), fmt.Sprintf("HUBSSH_TEST_HELPER_EXIT=%d", w.exit))
			return cmd
		},
	}
	return w
}

// run runs one command with stdin and returns its stdout, stderr and code.
func (w *world) run(stdin string, args ...string) (string, string, int) {
	w.t.Helper()
	w.out.Reset()
	w.err.Reset()
	w.f.IO = Stdio{In: strings.NewReader(stdin), Out: &w.out, Err: &w.err}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := Main(ctx, args, w.f)
	if strings.Contains(w.out.String()+w.err.String(), loginToken) {
		w.t.Errorf("hubssh %v printed the token", args)
	}
	return w.out.String(), w.err.String(), code
}

func TestLogin(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	hub := p.URL + "/"
	tests := []struct {
		name     string
		args     []string
		stdin    string
		browser  error
		wantCode int
		wantOut  string
		wantErr  string
		wantOpen string
	}{
		{"token on stdin", []string{"login", p.URL, "--token-stdin"}, loginToken + "\n", nil, 0,
			"logged in to " + hub + " as alice (token kept in the file)", "", ""},
		{"as JSON", []string{"login", "--json", p.URL, "--token-stdin"}, loginToken, nil, 0,
			`"tokenStore":"file","servers":[]`, "", ""},
		{"rejected token", []string{"login", p.URL, "--token-stdin"}, "wrong", nil, ExitAuth,
			"", "create a new one at " + hub + "hub/token", ""},
		{"--web opens the token page", []string{"login", "--web", p.URL, "--token-stdin"}, loginToken, nil, 0,
			"logged in", "", hub + "hub/token"},
		{"--web without a browser goes on", []string{"login", "--web", p.URL, "--token-stdin"}, loginToken, errors.New("no display"), 0,
			"logged in", "could not open a browser (no display); open " + hub + "hub/token yourself", hub + "hub/token"},
		{"no URL", []string{"login", "--token-stdin"}, loginToken, nil, ExitUsage, "", "usage: hubssh login", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.browser = tt.browser
			out, errOut, code := w.run(tt.stdin, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("code %d out %q err %q; want %d, %q, %q", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if got := strings.Join(w.opened, " "); got != tt.wantOpen {
				t.Errorf("browser opened %q, want %q", got, tt.wantOpen)
			}
			if code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("a failure in more than one line:\n%s", errOut)
			}
		})
	}
}

func TestConnectServersDoctorLogout(t *testing.T) {
	p := fakehub.NewPod(t, loginToken)
	w := newWorld(t)
	if _, errOut, code := w.run(loginToken, "login", p.URL, "--token-stdin"); code != 0 {
		t.Fatalf("login: %d %s", code, errOut)
	}
	cfg := filepath.Join(w.dir, "ssh_config")

	out, errOut, code := w.run("", "connect", "--prepare-only")
	var prep rpc.PrepareResult
	if code != 0 || json.Unmarshal([]byte(out), &prep) != nil || prep.Alias == "" || prep.SSHConfig != cfg || prep.Folder != "/home/jovyan" {
		t.Fatalf("connect --prepare-only: %d %q %q", code, out, errOut)
	}

	// connect runs ssh on the alias with the config hubssh wrote, passes
	// what follows "--", and exits with ssh's status, adding no line to
	// what preparing printed (a notice where no OpenSSH is installed).
	prepared := errOut
	w.exit = 7
	_, errOut, code = w.run("", "connect", "--", "-tt", "hostname")
	if code != 7 || errOut != prepared {
		t.Errorf("connect with ssh exiting 7: code %d, stderr %q; want 7 and %q", code, errOut, prepared)
	}
	if len(w.ran) != 1 || w.ran[0][0] != "ssh" || !strings.Contains(strings.Join(w.ran[0], " "), "-F "+cfg+" "+prep.Alias+" -tt hostname") {
		t.Errorf("ran %q, want ssh -F %s %s -tt hostname", w.ran, cfg, prep.Alias)
	}

	out, _, code = w.run("", "servers")
	if code != 0 || !regexpLine(out, `^\(default\)\s+running\s+.*`+prep.Alias) || !regexpLine(out, `^gpu\s+stopped`) {
		t.Errorf("servers: %d\n%s", code, out)
	}
	out, _, code = w.run("", "servers", "--json")
	var list rpc.ServersListResult
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Servers) != 2 || list.Servers[0].Alias != prep.Alias {
		t.Errorf("servers --json: %d %s", code, out)
	}

	out, _, code = w.run("", "doctor", "--json")
	var diag rpc.DiagnoseResult
	if json.Unmarshal([]byte(out), &diag) != nil || len(diag.Checks) < 5 {
		t.Fatalf("doctor --json: %d %s", code, out)
	}
	failed := 0
	for _, c := range diag.Checks {
		if c.Status == rpc.StatusFail {
			failed++
		}
	}
	if (failed > 0) != (code == ExitError) {
		t.Errorf("doctor: %d failed checks, exit %d: it exits 1 exactly when a check failed", failed, code)
	}

	if out, errOut, code := w.run("", "logout"); code != 0 || !strings.Contains(out, "logged out") {
		t.Errorf("logout: %d %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(cfg); len(b) != 0 {
		t.Errorf("ssh config after the last logout:\n%s\nwant empty, as before hubssh", b)
	}
	if _, errOut, code := w.run("", "servers"); code != ExitUsage || !strings.Contains(errOut, `run "hubssh login`) {
		t.Errorf("servers after logout: %d %q, want a usage error naming login", code, errOut)
	}
}

func regexpLine(text, pattern string) bool {
	for _, l := range strings.Split(text, "\n") {
		if ok, _ := regexp.MatchString(pattern, l); ok {
			return true
		}
	}
	return false
}

// TestExitCodes pins docs/cli.md's table: each core failure class has its
// exit code, and its message is what the user reads.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		code core.Code
		want int
	}{
		{core.CodeUsage, ExitUsage},
		{core.CodeNotHub, ExitUsage},
		{core.CodeAuth, ExitAuth},
		{core.CodeServer, ExitServer},
		{core.CodeNetwork, ExitNetwork},
		{core.CodeConfig, ExitError},
		{core.CodeInternal, ExitError},
	}
	for _, tt := range tests {
		var errb bytes.Buffer
		got := report(asExit(&core.Error{Code: tt.code, Message: "what to do"}), &errb)
		if got != tt.want || errb.String() != "hubssh: what to do\n" {
			t.Errorf("%s: exit %d, stderr %q; want %d and the message", tt.code, got, errb.String(), tt.want)
		}
	}
	if len(tests) != len(codeExit) {
		t.Errorf("codeExit has %d codes, the table %d: a code without a test", len(codeExit), len(tests))
	}
}
