package devhub

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// golden compares got with the file under the repository's testdata/.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "devhub", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/devhub -run %s -update)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; if the change is intended, refresh it with:\n  go test ./internal/devhub -run %s -update\n--- got ---\n%s", path, t.Name(), got)
	}
}

func TestHubConfigGolden(t *testing.T) {
	got := hubConfig(configParams{
		dir: "/state", venv: "/venv", chp: "/node_modules/.bin/configurable-http-proxy",
		publicPort: 8000, hubPort: 8081, proxyAPIPort: 8001,
		adminToken: "admin-token-for-golden-file",
		extra:      "c.Spawner.default_url = \"/lab\"",
	})
	golden(t, "jupyterhub_config.py", []byte(got))
}

func TestServerProxyConfigGolden(t *testing.T) {
	got, err := serverProxyConfig("/opt/hub sshd/hubsshd")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "jupyter_server_config.json", got)
}

// TestDocsConfigBlockErrors: a docs change that would leave the harness
// without the admins' configuration fails here, with what to fix.
func TestDocsConfigBlockErrors(t *testing.T) {
	tests := []struct{ md, want string }{
		{"no block\n", "has 0 json blocks"},
		{"```json\n{\"ServerProxy\": {}}\n```\n```json\n{\"ServerProxy\": {}}\n```\n", "has 2 json blocks"},
	}
	for _, tt := range tests {
		if _, err := docsConfigBlock([]byte(tt.md)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("docsConfigBlock(%q) = %v, want %q", tt.md, err, tt.want)
		}
	}
}
