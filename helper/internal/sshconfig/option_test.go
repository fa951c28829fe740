package sshconfig

import (
	"strings"
	"testing"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		in      string
		want    Option
		wantErr string
	}{
		{"ForwardAgent=yes", Option{"ForwardAgent", "yes"}, ""},
		{"SetEnv FOO=bar", Option{"SetEnv", "FOO=bar"}, ""},
		{"RemoteForward 52698 localhost:52698", Option{"RemoteForward", "52698 localhost:52698"}, ""},
		{" LogLevel = ERROR ", Option{"LogLevel", "ERROR"}, ""},
		{"ForwardAgent", Option{}, "write Key=Value"},
		{"ProxyCommand=nc %h %p", Option{}, "hubssh sets it"},
		{"stricthostkeychecking=no", Option{}, "hubssh sets it"},
		{"Include=/etc/evil", Option{}, "hubssh sets it"},
		{"Forward-Agent=yes", Option{}, "not an ssh_config keyword"},
		{"ForwardAgent=", Option{}, "give a value"},
	}
	for _, tt := range tests {
		got, err := ParseOptions([]string{tt.in})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q: got %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestOptionValueStaysOnOneLine(t *testing.T) {
	for _, v := range []string{"yes\nHost *", "yes\r", "a\x00b"} {
		if err := (Option{Key: "ForwardAgent", Value: v}).Check(); err == nil {
			t.Errorf("value %q accepted", v)
		}
	}
}

// TestRenderOptionsGolden: the user's options come after hubssh's, so
// OpenSSH (first value wins) can never let them change a managed one.
func TestRenderOptionsGolden(t *testing.T) {
	entries := sampleEntries("/opt")[:1]
	entries[0].Extra = []Option{{"ForwardAgent", "yes"}, {"SetEnv", "TERM=xterm-256color"}}
	out, err := Render(entries)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "../../../testdata/sshconfig/managed-options.golden", out)
	entries[0].Extra = []Option{{"Ciphers", "3des-cbc"}}
	if _, err := Render(entries); err == nil {
		t.Error("Render accepted an option that overrides hubssh's Ciphers")
	}
}
