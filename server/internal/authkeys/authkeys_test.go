package authkeys

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testPub is a fixed ed25519 public key line (generated for these tests).
var testPub = func() string {
	pub := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))
	pub[0] = 1
	k, _ := ssh.NewPublicKey(pub)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}()

func TestParse(t *testing.T) {
	tests := []struct {
		name         string
		content      string
		wantKeys     int
		wantComments []string
		wantProblem  string // substring of the one problem expected
	}{
		{name: "empty", content: ""},
		{name: "one key", content: testPub + " me@laptop\n", wantKeys: 1, wantComments: []string{"me@laptop"}},
		{name: "comments and blanks", content: "# keys\n\n   \n" + testPub + "\n", wantKeys: 1, wantComments: []string{""}},
		{name: "no trailing newline", content: testPub, wantKeys: 1, wantComments: []string{""}},
		{name: "CRLF", content: testPub + " a\r\n" + testPub + " b\r\n", wantKeys: 2, wantComments: []string{"a", "b"}},
		{name: "garbage line", content: "not a key\n" + testPub + "\n", wantKeys: 1, wantComments: []string{""}, wantProblem: "keys:1: not a public key"},
		{name: "restrict refused", content: "restrict " + testPub + "\n", wantProblem: `options "restrict"`},
		{name: "command refused", content: `command="/bin/date",no-pty ` + testPub + "\n", wantProblem: "does not enforce"},
		{name: "from refused", content: `from="10.0.0.0/8" ` + testPub + "\n", wantProblem: "key refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, problems := Parse("keys", []byte(tt.content))
			if len(keys) != tt.wantKeys {
				t.Errorf("got %d keys, want %d", len(keys), tt.wantKeys)
			}
			for i, k := range keys {
				if i < len(tt.wantComments) && k.Comment != tt.wantComments[i] {
					t.Errorf("key %d comment %q, want %q", i, k.Comment, tt.wantComments[i])
				}
			}
			switch {
			case tt.wantProblem == "" && len(problems) > 0:
				t.Errorf("unexpected problems %q", problems)
			case tt.wantProblem != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.wantProblem)):
				t.Errorf("problems %q, want one containing %q", problems, tt.wantProblem)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", testPub, "restrict " + testPub, "# c\n" + testPub + " x\r\n", `command="a b" ` + testPub} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		keys, _ := Parse("f", []byte(content))
		// Whatever the input, a key with options must never come back.
		for _, k := range keys {
			line := lineOf(t, content, k.Source)
			_, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(line))
			if err != nil || len(opts) > 0 {
				t.Fatalf("key from %s (%q) returned despite options %q / %v", k.Source, line, opts, err)
			}
		}
	})
}

func lineOf(t *testing.T, content, source string) string {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(source, "f:%d", &n); err != nil {
		t.Fatalf("source %q: %v", source, err)
	}
	lines := strings.Split(content, "\n")
	return strings.TrimSpace(lines[n-1])
}

func TestAuthorizedKeysFilePolicy(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	open := filepath.Join(dir, "world-writable")
	for _, p := range []string{good, open} {
		if err := os.WriteFile(p, []byte(testPub+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(open, 0o666)
	keys, problems := Load([]string{good, open, filepath.Join(dir, "missing")})
	if len(keys) != 1 || keys[0].Source != good+":1" {
		t.Errorf("keys %v, want only the one from %s", keys, good)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "world-writable") || !strings.Contains(problems[0], "chmod 600") {
		t.Errorf("problems %q, want one naming the world-writable file and the fix", problems)
	}
}
