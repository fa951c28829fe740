package sshconfig

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/sshconfig")

const managed = "/home/u/.ssh/hubssh/config"

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./helper/internal/sshconfig -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; if intended, refresh with: go test ./helper/internal/sshconfig -update\n--- got ---\n%s", path, got)
	}
}

// body stands for Render's output in the block tests.
const body = "# header\n\nHost hub-alice\n  ProxyCommand \"/usr/bin/hubssh\" proxy hub-alice\n"

func TestSetBlockGolden(t *testing.T) {
	ins, _ := filepath.Glob("../../../testdata/sshconfig/*.in")
	if len(ins) < 10 {
		t.Fatalf("found %d cases in testdata/sshconfig", len(ins))
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			old, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := SetBlock(old, []byte(body), managed)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(in, ".in")+".golden", out)
			if has, err := HasBlock(out); !has || err != nil {
				t.Errorf("HasBlock after set = %v, %v", has, err)
			}
			again, _ := SetBlock(out, []byte(body), managed)
			if !bytes.Equal(again, out) {
				t.Error("SetBlock is not idempotent")
			}
			back, err := RemoveBlock(out, managed)
			if err != nil {
				t.Fatal(err)
			}
			wantBack, _ := RemoveBlock(old, managed) // = old unless old had our lines
			if !bytes.Equal(back, wantBack) {
				t.Errorf("remove after set:\n%q\nwant\n%q", back, wantBack)
			}
			if !strings.Contains(name, "ours") && !bytes.Equal(back, old) {
				t.Errorf("remove after set is not byte-identical to the user's file")
			}
		})
	}
}

// TestSetBlockInPlace: a block the user moved below comments or global
// options is replaced where it is, a new body replacing the old one whole;
// one below a Host or Match line (where the user's options would win) goes
// back to the top.
func TestSetBlockInPlace(t *testing.T) {
	first, _ := SetBlock(nil, []byte(body), "")
	newBlock := string(renderBlock([]byte("Host other\n"), "\n"))
	tests := []struct{ name, before, after, want string }{
		{"below comments and options", "# mine\nUser b\n", "Host c\n", "# mine\nUser b\n" + newBlock + "Host c\n"},
		{"below a Host line", "Host a\n  User b\n", "Host c\n", newBlock + "Host a\n  User b\nHost c\n"},
		{"below Match=all", "match=all\n", "", newBlock + "match=all\n"},
	}
	for _, tt := range tests {
		out, err := SetBlock([]byte(tt.before+string(first)+tt.after), []byte("Host other\n"), "")
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, out, tt.want)
		}
	}
}

func TestSetBlockMissingFile(t *testing.T) {
	out, err := SetBlock(nil, []byte(body), managed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), blockBegin+"\n"+body) || !strings.HasSuffix(string(out), "Host *\n"+blockEnd+"\n") {
		t.Errorf("got %q", out)
	}
	if back, _ := RemoveBlock(out, managed); len(back) != 0 {
		t.Errorf("remove left %q", back)
	}
}

// TestBrokenBlockRefused: a block the user cut short, or copied, is not
// edited around: that could take their own lines with it.
func TestBrokenBlockRefused(t *testing.T) {
	whole := string(renderBlock([]byte(body), "\n"))
	tests := []struct{ name, cfg, want string }{
		{"no end", blockBegin + "\nHost x\nHost mine\n  User me\n", "does not end"},
		{"no begin", "Host mine\n" + blockEnd + "\n", "without its begin"},
		{"twice", whole + whole, "begins twice"},
	}
	for _, tt := range tests {
		for _, op := range []func([]byte) ([]byte, error){
			func(b []byte) ([]byte, error) { return SetBlock(b, []byte(body), "") },
			func(b []byte) ([]byte, error) { return RemoveBlock(b, "") },
		} {
			if _, err := op([]byte(tt.cfg)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			}
		}
		if _, err := HasBlock([]byte(tt.cfg)); err == nil {
			t.Errorf("%s: HasBlock found no fault", tt.name)
		}
	}
}

func FuzzBlockKeepsUserBytes(f *testing.F) {
	ins, _ := filepath.Glob("../../../testdata/sshconfig/*.in")
	for _, in := range ins {
		b, _ := os.ReadFile(in)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, old []byte) {
		out, err := SetBlock(old, []byte(body), managed)
		if err != nil {
			if _, _, ferr := findBlock(old); ferr == nil {
				t.Fatalf("SetBlock failed on a file without a broken block: %v", err)
			}
			return
		}
		user, _ := RemoveBlock(old, managed)
		if has, _ := HasBlock(old); !has {
			// Everything after our block is the user's file (minus
			// older lines of ours), byte for byte.
			head := renderBlock([]byte(body), lineEnding(old))
			if !bytes.HasPrefix(out, head) || !bytes.Equal(out[len(head):], user) {
				t.Fatalf("user's bytes changed:\nold %q\nout %q", old, out)
			}
		}
		if back, _ := RemoveBlock(out, managed); !bytes.Equal(back, user) {
			t.Fatalf("remove does not restore the user's bytes")
		}
		if has, _ := HasBlock(out); !has {
			t.Fatalf("no block in %q", out)
		}
	})
}

func TestConfigPath(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: `/home/u/.ssh/hubssh/config`, want: `/home/u/.ssh/hubssh/config`},
		{in: `C:\Users\Jane Doe\.ssh\hubssh\config`, want: `C:/Users/Jane Doe/.ssh/hubssh/config`},
		{in: `/home/a"b/x`, wantErr: "contains a quote"},
		{in: "/home/a\nb", wantErr: "line break"},
		{in: `/home/100%/x`, wantErr: "contains %"},
		{in: "/home/a\x01b", wantErr: "control character"},
	}
	for _, tt := range tests {
		got, err := configPath(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("configPath(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("configPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
