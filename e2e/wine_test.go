//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWindowsHelperUnderWine runs the Windows build of hubssh (hubssh.exe,
// windows/amd64) under Wine as a Windows user would: login (the token goes
// to Wine's Credential Manager, go-keyring's wincred backend), connect,
// then a session through the ssh config hubssh.exe wrote. Wine has no
// Windows OpenSSH, so Linux's ssh plays it: its ProxyCommand starts the line
// hubssh.exe wrote with CreateProcess and no shell, as Windows OpenSSH does
// (scripts/wine/launch). What Wine cannot show (real ACLs, Windows OpenSSH
// itself) is listed in docs/development.md.
func TestWindowsHelperUnderWine(t *testing.T) {
	profile := filepath.Join(suite.winePrefix, "drive_c", "users", os.Getenv("USER"))
	if os.Getenv("USER") == "" {
		profile = filepath.Join(suite.winePrefix, "drive_c", "users", "root")
	}
	// The prefix is shared between runs: start from a profile without
	// hubssh's files, and leave none behind.
	clean := func() {
		os.RemoveAll(filepath.Join(profile, ".ssh"))
		os.RemoveAll(filepath.Join(profile, "AppData", "Roaming", "hubssh"))
	}
	clean()
	t.Cleanup(clean)
	env := wineEnv()
	wine := func(t *testing.T, stdin string, args ...string) result {
		t.Helper()
		return (&userHome{dir: profile}).runWithEnv(t, env, stdin, "wine", append([]string{suite.hubsshExe}, args...)...)
	}
	ensureServer(t, "kim", "")
	token := loginToken(t, "kim").Token
	var alias, line string
	var managed []byte
	t.Run("login and connect", func(t *testing.T) {
		r := wine(t, token, "login", suite.hub.URL.String(), "--token-stdin")
		if r.code != 0 || !strings.Contains(r.stdout, "as kim (token kept in the keyring)") {
			t.Fatalf("login: exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
		r = wine(t, "", "connect", "--prepare-only")
		var p struct{ Alias string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil {
			t.Fatalf("connect: exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
		alias = p.Alias
		// No Windows OpenSSH under Wine: connect says so, with the fix.
		if !strings.Contains(r.stderr, "OpenSSH's ssh is not on PATH") || !strings.Contains(r.stderr, "Optional features → OpenSSH Client") {
			t.Errorf("connect without an ssh client said %q", r.stderr)
		}
		managed, _ = os.ReadFile(filepath.Join(profile, ".ssh", "config"))
		if !strings.Contains(string(managed), "\nHost "+alias+"\n") || !strings.Contains(string(managed), `IdentityFile "C:/users/`) {
			t.Errorf("~/.ssh/config as hubssh.exe wrote it (Windows paths):\n%q", managed)
		}
		m := regexp.MustCompile(`(?m)^  ProxyCommand (.*?)\r?$`).FindSubmatch(managed)
		if m == nil {
			t.Fatalf("no ProxyCommand in ~/.ssh/config:\n%s", managed)
		}
		line = strings.TrimSpace(string(m[1]))
		// A Windows path, double-quoted, forward slashes only: what both
		// Windows OpenSSH (CreateProcess) and open-remote-ssh's tokenizer
		// read back as one token.
		if !regexp.MustCompile(`^"[A-Z]:/[^"\\]*/hubssh\.exe" proxy ` + regexp.QuoteMeta(alias) + `$`).MatchString(line) {
			t.Fatalf("ProxyCommand %q is not a quoted Windows path with forward slashes", line)
		}
		for _, want := range []string{`IdentityFile "C:/users/`, `UserKnownHostsFile "C:/users/`} {
			if !strings.Contains(string(managed), want) {
				t.Errorf("managed file lacks %s:\n%s", want, managed)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	// Linux ssh reads the same entry with C:/users/NAME/ mapped to the
	// prefix; its ProxyCommand is the launcher, which CreateProcess-es the
	// exact line hubssh.exe wrote. Linux ssh wants the key 0600, a mode
	// Windows files do not have.
	dir := t.TempDir()
	winProfile := regexp.MustCompile(`C:/users/[^/]+/`).FindString(string(managed))
	cfgText := strings.ReplaceAll(string(managed), winProfile, profile+"/")
	cfgText = strings.Replace(cfgText, "ProxyCommand "+line, fmt.Sprintf("ProxyCommand wine %q", suite.wineLaunch), 1)
	cfg := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, _ := filepath.Glob(filepath.Join(profile, "AppData", "Roaming", "hubssh", "keys", "*", "id_ed25519"))
	for _, k := range keys {
		os.Chmod(k, 0o600)
	}
	sshEnv := append(env, "HUBSSH_WINE_PROXY_LINE="+line)
	run := func(t *testing.T, stdin, tool string, args ...string) result {
		t.Helper()
		h := &userHome{dir: dir}
		return h.runWithEnv(t, sshEnv, stdin, tool, append([]string{"-F", cfg}, args...)...)
	}
	t.Run("ssh and sftp through hubssh.exe proxy", func(t *testing.T) {
		t0 := time.Now()
		r := run(t, "", "ssh", alias, `echo "$JUPYTERHUB_USER"`)
		if r.code != 0 || r.stdout != "kim\n" {
			t.Fatalf("ssh: exit %d out %q err %q", r.code, r.stdout, r.stderr)
		}
		t.Logf("measured: ssh ALIAS through wine hubssh.exe proxy: %.2f s", time.Since(t0).Seconds())
		src := filepath.Join(dir, "up.bin")
		sum := writeRandom(t, src, 4<<20)
		back := filepath.Join(dir, "back.bin")
		if r := run(t, fmt.Sprintf("put %s wine.bin\nget wine.bin %s\n", src, back), "sftp", "-q", "-b", "-", alias); r.code != 0 {
			t.Fatalf("sftp: exit %d: %s", r.code, r.stderr)
		}
		if got := fileSum(t, filepath.Join(suite.hub.Home("kim"), "wine.bin")); got != sum {
			t.Errorf("uploaded %s, want %s", got, sum)
		}
		if got := fileSum(t, back); got != sum {
			t.Errorf("downloaded %s, want %s", got, sum)
		}
		if left := wineProcesses("hubssh.exe", 10*time.Second); len(left) > 0 {
			t.Errorf("hubssh.exe processes left after the sessions: %q", left)
		}
	})
	t.Run("serve answers JSON-RPC and ends with its input", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "wine", suite.hubsshExe, "serve")
		cmd.Env = env
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		body := `{"jsonrpc":"2.0","id":1,"method":"version"}`
		fmt.Fprintf(in, "Content-Length: %d\r\n\r\n%s", len(body), body)
		buf := make([]byte, 4096)
		var got []byte
		for !bytes.Contains(got, []byte(`"protocol"`)) {
			n, err := out.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("serve answered %q: %v", got, err)
			}
		}
		in.Close()
		io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve after its input closed: %v", err)
		}
	})
	t.Run("logout", func(t *testing.T) {
		if r := wine(t, "", "logout"); r.code != 0 {
			t.Fatalf("logout: exit %d err %q", r.code, r.stderr)
		}
		if b, err := os.ReadFile(filepath.Join(profile, ".ssh", "config")); err == nil && len(bytes.TrimSpace(b)) > 0 {
			t.Errorf("~/.ssh/config after logout: %q", b)
		}
		if r := wine(t, "", "servers"); r.code != 2 || !strings.Contains(r.stderr, "no hub yet") {
			t.Errorf("after logout: exit %d err %q", r.code, r.stderr)
		}
	})
}

// wineEnv is the environment hubssh.exe runs in: the suite's prefix, no
// debug output, and none of the Linux user's hubssh settings.
func wineEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBSSH_") && !strings.HasPrefix(kv, "WINE") {
			env = append(env, kv)
		}
	}
	return append(env, "WINEPREFIX="+suite.winePrefix, "WINEDEBUG=-all")
}

// wineProcesses lists the processes whose command line names exe, waiting
// up to d for them to go.
func wineProcesses(exe string, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		var left []string
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(exe)) {
				left = append(left, strings.ReplaceAll(string(b), "\x00", " "))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}
