package sshconfig

import (
	"path/filepath"
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
			User:         "jovyan",
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

// TestRenderUser: the server's account is written as User unless the
// user's own options set one, and only when it is one token.
func TestRenderUser(t *testing.T) {
	tests := []struct {
		name  string
		user  string
		extra []Option
		want  string // the User lines, "" for none
		err   bool
	}{
		{name: "the server's account", user: "jovyan", want: "  User jovyan\n"},
		{name: "none known", user: "", want: ""},
		{name: "the user's own wins", user: "jovyan", extra: []Option{{Key: "User", Value: "alice"}}, want: "  User alice\n"},
		{name: "a directory name", user: "alice@example.org", want: "  User alice@example.org\n"},
		{name: "not one token", user: "a b", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sampleEntries("/opt")[0]
			e.User, e.Extra = tt.user, tt.extra
			out, err := Render([]Entry{e})
			if tt.err {
				if err == nil {
					t.Fatalf("rendered %q", tt.user)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, l := range strings.SplitAfter(string(out), "\n") {
				if strings.HasPrefix(l, "  User ") {
					got.WriteString(l)
				}
			}
			if got.String() != tt.want {
				t.Errorf("User lines %q, want %q", got.String(), tt.want)
			}
		})
	}
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
