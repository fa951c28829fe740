package sshconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleEntries(dir string) []Entry {
	return []Entry{
		{
			Alias:        "hub.example.org-alice",
			Comment:      "https://hub.example.org/  user alice, default server",
			ProxyCommand: []string{filepath.Join(dir, "Program Files", "hubssh", "hubssh"), "proxy", "hub.example.org-alice"},
			IdentityFile: filepath.Join(dir, "keys", "hub.example.org", "id_ed25519"),
			KnownHosts:   filepath.Join(dir, "known_hosts"),
		},
		{
			Alias:        "hub.example.org-alice-gpu",
			Comment:      "https://hub.example.org/  user alice, server gpu",
			ProxyCommand: []string{"/usr/local/bin/hubssh", "proxy", "hub.example.org-alice-gpu"},
			IdentityFile: "/home/alice/.config/hubssh/keys/hub.example.org/id_ed25519",
			KnownHosts:   "/home/alice/.config/hubssh/known_hosts",
		},
	}
}

func TestRenderGolden(t *testing.T) {
	out, err := Render(sampleEntries("/opt"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "../../../testdata/sshconfig/managed.golden", out)
}

func TestRenderRefuses(t *testing.T) {
	base := sampleEntries("/opt")[0]
	tests := []struct {
		name    string
		mutate  func(*Entry)
		wantErr string
	}{
		{"alias with space", func(e *Entry) { e.Alias = "my hub" }, "host alias"},
		{"alias wildcard", func(e *Entry) { e.Alias = "hub*" }, "host alias"},
		{"no proxy command", func(e *Entry) { e.ProxyCommand = nil }, "no ProxyCommand"},
		{"quote in argument", func(e *Entry) { e.ProxyCommand = []string{"/bin/hubssh", `a"b`} }, "cannot carry"},
		{"percent in key path", func(e *Entry) { e.IdentityFile = "/home/100%/id" }, "contains %"},
		{"dollar in program path", func(e *Entry) { e.ProxyCommand[0] = "/opt/$HOME/hubssh" }, "shell would expand"},
		{"backtick in program path", func(e *Entry) { e.ProxyCommand[0] = "/opt/`x`/hubssh" }, "shell would expand"},
	}
	for _, tt := range tests {
		e := base
		e.ProxyCommand = append([]string(nil), base.ProxyCommand...)
		tt.mutate(&e)
		if _, err := Render([]Entry{e}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	if _, err := Render([]Entry{base, base}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate alias: %v", err)
	}
}

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
		g, err := exec.Command("ssh", "-G", "-F", cfg, e.Alias).Output()
		if err != nil {
			t.Fatalf("ssh -G %s: %v", e.Alias, err)
		}
		got := map[string]string{}
		for _, line := range strings.Split(string(g), "\n") {
			k, v, _ := strings.Cut(line, " ")
			if _, dup := got[k]; !dup {
				got[k] = v
			}
		}
		want := map[string]string{
			"proxycommand":          `"` + e.ProxyCommand[0] + `" ` + strings.Join(e.ProxyCommand[1:], " "),
			"identityfile":          e.IdentityFile,
			"identitiesonly":        "yes",
			"userknownhostsfile":    e.KnownHosts,
			"hostkeyalias":          e.Alias,
			"stricthostkeychecking": "true",
			"serveraliveinterval":   "15",
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

// openRemoteSSHTokens splits a ProxyCommand the way open-remote-ssh does
// before spawning it without a shell (CLIENTS.md): whitespace separates,
// only double quotes group, a backslash escapes the next character and is
// dropped.
func openRemoteSSHTokens(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, have, esc := false, false, false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc, have = false, true
		case r == '\\':
			esc = true
		case r == '"':
			inQ, have = !inQ, true
		case (r == ' ' || r == '\t') && !inQ:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
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
