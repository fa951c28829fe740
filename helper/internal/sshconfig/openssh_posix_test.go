//go:build !windows

package sshconfig

// Tests that run the POSIX side's own parsers: OpenSSH's ssh -G, and sh,
// which OpenSSH on Unix runs ProxyCommand with. On Windows, OpenSSH starts
// the ProxyCommand with CreateProcess instead: createprocess_windows_test.go.

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRenderWithOpenSSH has the real ssh read the file (ssh -G prints the
// configuration it would use) and checks every option came through.
func TestRenderWithOpenSSH(t *testing.T) {
	requireSSH(t)
	dir := t.TempDir()
	entries := sampleEntries(dir)
	out, err := Render(entries)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, out, 0o600)
	for _, e := range entries {
		got := sshG(t, cfg, e.Alias)
		want := map[string]string{
			"proxycommand":          `"` + e.ProxyCommand[0] + `" ` + strings.Join(e.ProxyCommand[1:], " "),
			"identityfile":          e.IdentityFile,
			"identitiesonly":        "yes",
			"userknownhostsfile":    e.KnownHosts,
			"hostkeyalias":          e.Alias,
			"stricthostkeychecking": "true",
			"serveraliveinterval":   "60",
			"serveralivecountmax":   "30",
			"connecttimeout":        "0", // no timeout: a spawn can take minutes
			"ciphers":               "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: ssh -G %s = %q, want %q", e.Alias, k, got[k], v)
			}
		}
	}
}

// TestProxyCommandSurvivesBothParsers renders awkward program paths and
// checks that open-remote-ssh's tokenizer and a POSIX shell (what OpenSSH
// runs ProxyCommand with on Unix) both get back the exact argv.
func TestProxyCommandSurvivesBothParsers(t *testing.T) {
	paths := []string{
		"/usr/local/bin/hubssh",
		"/home/Jane Doe/Applications/hub ssh/hubssh",
		`C:\Program Files\hubssh\hubssh.exe`,
		`C:\Users\Jane Doe\AppData\Roaming\hubssh\bin\hubssh.exe`,
		"/opt/it's here/hubssh",
	}
	for _, p := range paths {
		e := sampleEntries("/x")[0]
		e.ProxyCommand = []string{p, "proxy", e.Alias}
		out, err := Render([]Entry{e})
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		var value string
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "  ProxyCommand "); ok {
				value = v
			}
		}
		want := []string{strings.ReplaceAll(p, `\`, "/"), "proxy", e.Alias}
		if got := openRemoteSSHTokens(value); !reflect.DeepEqual(got, want) {
			t.Errorf("open-remote-ssh reads %q as %q, want %q", value, got, want)
		}
		sh, err := exec.Command("sh", "-c", `printf '%s\n' `+value).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Split(strings.TrimSuffix(string(sh), "\n"), "\n"); !reflect.DeepEqual(got, want) {
			t.Errorf("sh reads %q as %q, want %q", value, got, want)
		}
	}
}

func requireSSH(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("ssh not found: install openssh-client (scripts/setup does)")
	}
}

// TestBlockWithOpenSSH: with the block on top of a config that begins with
// options outside any Host line, ssh still applies those options to every
// other host (the block's closing "Host *"), and hubssh's options win for
// its aliases.
func TestBlockWithOpenSSH(t *testing.T) {
	requireSSH(t)
	dir := t.TempDir()
	entries := sampleEntries(dir)
	body, err := Render(entries)
	if err != nil {
		t.Fatal(err)
	}
	user := "User bob\nServerAliveInterval 45\n\nHost work\n  HostName work.example.org\n"
	out, err := SetBlock([]byte(user), body, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, out, 0o600)
	for host, want := range map[string]map[string]string{
		"work":           {"user": "bob", "hostname": "work.example.org", "serveraliveinterval": "45"},
		"elsewhere":      {"user": "bob", "serveraliveinterval": "45"},
		entries[0].Alias: {"user": "jovyan", "serveraliveinterval": "60"},
	} {
		got := sshG(t, cfg, host)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("ssh -G %s: %s = %q, want %q", host, k, got[k], v)
			}
		}
	}
}

// sshG is what "ssh -G -F cfg host" says ssh would use, first value of
// each keyword.
func sshG(t *testing.T, cfg, host string) map[string]string {
	t.Helper()
	g, err := exec.Command("ssh", "-G", "-F", cfg, host).Output()
	if err != nil {
		t.Fatalf("ssh -G %s: %v", host, err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(g), "\n") {
		if k, v, _ := strings.Cut(line, " "); got[k] == "" {
			got[k] = v
		}
	}
	return got
}
