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

func TestAddIncludeGolden(t *testing.T) {
	ins, _ := filepath.Glob("../../../testdata/sshconfig/*.in")
	if len(ins) < 8 {
		t.Fatalf("found %d cases in testdata/sshconfig", len(ins))
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			old, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := AddInclude(old, managed)
			if err != nil {
				t.Fatal(err)
			}
			if !changed {
				t.Error("AddInclude reported no change")
			}
			golden(t, strings.TrimSuffix(in, ".in")+".golden", out)
			if st, _ := FindInclude(out, managed); st != IncludeEffective {
				t.Errorf("include status after add = %v, want effective", st)
			}
			again, changed, _ := AddInclude(out, managed)
			if changed || !bytes.Equal(again, out) {
				t.Error("AddInclude is not idempotent")
			}
			back := RemoveInclude(out, managed)
			wantBack := RemoveInclude(old, managed) // = old unless old had our lines
			if !bytes.Equal(back, wantBack) {
				t.Errorf("remove after add:\n%q\nwant\n%q", back, wantBack)
			}
			if !strings.Contains(name, "ours") && !bytes.Equal(back, old) {
				t.Errorf("remove after add is not byte-identical to the user's file")
			}
		})
	}
}

func TestAddIncludeLeavesEffectiveIncludeAlone(t *testing.T) {
	cfg := "# my header\n" + marker + "\nInclude \"" + managed + "\"\n\nHost a\n  User b\n"
	out, changed, err := AddInclude([]byte(cfg), managed)
	if err != nil || changed || string(out) != cfg {
		t.Fatalf("changed=%v err=%v out=%q; an effective include must stay put", changed, err, out)
	}
	shadowed := "Host a\n  User b\nInclude \"" + managed + "\"\n"
	out, changed, _ = AddInclude([]byte(shadowed), managed)
	if !changed || !strings.HasPrefix(string(out), marker+"\nInclude") || strings.Count(string(out), "Include") != 1 {
		t.Fatalf("a shadowed include must move to the top, once: %q", out)
	}
}

func TestAddIncludeMissingFile(t *testing.T) {
	out, changed, err := AddInclude(nil, managed)
	if err != nil || !changed {
		t.Fatal(err)
	}
	if want := marker + "\nInclude \"" + managed + "\"\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if back := RemoveInclude(out, managed); len(back) != 0 {
		t.Errorf("remove left %q", back)
	}
}

func TestFindInclude(t *testing.T) {
	tests := []struct {
		name, cfg string
		want      IncludeStatus
	}{
		{"missing", "Host a\n  User b\n", IncludeMissing},
		{"on top", `Include "` + managed + "\"\nHost a\n", IncludeEffective},
		{"unquoted, keyword=value", "include=" + managed + "\n", IncludeEffective},
		{"inside Host *", "Host *\n  Include \"" + managed + "\"\n", IncludeShadowed},
		{"inside Match", "Match all\nInclude " + managed + "\n", IncludeShadowed},
		{"commented out", "# Include \"" + managed + "\"\n", IncludeMissing},
	}
	for _, tt := range tests {
		if got, err := FindInclude([]byte(tt.cfg), managed); err != nil || got != tt.want {
			t.Errorf("%s: FindInclude = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func FuzzIncludeKeepsUserBytes(f *testing.F) {
	ins, _ := filepath.Glob("../../../testdata/sshconfig/*.in")
	for _, in := range ins {
		b, _ := os.ReadFile(in)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, old []byte) {
		out, _, err := AddInclude(old, managed)
		if err != nil {
			t.Fatal(err)
		}
		user := RemoveInclude(old, managed)
		// Everything after our two lines is the user's file (minus copies
		// of our own lines), byte for byte.
		if bytes.Equal(out, old) {
			// Unchanged: only when ours was already effective.
			if st, _ := FindInclude(old, managed); st != IncludeEffective {
				t.Fatalf("left unchanged without an effective include: %q", old)
			}
		} else {
			nl := lineEnding(old)
			head := marker + nl + `Include "` + managed + `"` + nl
			if !bytes.HasPrefix(out, []byte(head)) || !bytes.Equal(out[len(head):], user) {
				t.Fatalf("user's bytes changed:\nold %q\nout %q", old, out)
			}
		}
		if !bytes.Equal(RemoveInclude(out, managed), user) {
			t.Fatalf("remove does not restore the user's bytes")
		}
		if st, _ := FindInclude(out, managed); st != IncludeEffective {
			t.Fatalf("include not effective in %q", out)
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
