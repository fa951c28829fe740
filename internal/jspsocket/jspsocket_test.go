package jspsocket

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSocketDirectory: a listener removes the directory jupyter-server-proxy
// made for its socket when it stops, makes it again when restarted with
// the same path, and refuses one others can write to.
func TestSocketDirectory(t *testing.T) {
	tmp := t.TempDir()
	jsp := filepath.Join(tmp, "jupyter-server-proxy-abc123")
	if err := os.Mkdir(jsp, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(jsp, "socket")
	for round := 1; round <= 2; round++ { // 2: restarted after the directory went
		ln, err := Listen(sock)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if st, err := os.Stat(jsp); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("round %d: socket directory %v, %v; want mode 0700", round, st, err)
		}
		ln.Close()
		if _, err := os.Stat(jsp); !os.IsNotExist(err) {
			t.Fatalf("round %d: socket directory still there after Close (%v)", round, err)
		}
	}

	// Another directory is left as it is.
	other := filepath.Join(tmp, "mine")
	os.Mkdir(other, 0o755)
	ln, err := Listen(filepath.Join(other, "socket"))
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a directory that did not come from jupyter-server-proxy was removed: %v", err)
	}

	// Not empty: kept.
	os.Mkdir(jsp, 0o700)
	os.WriteFile(filepath.Join(jsp, "keep"), nil, 0o600)
	ln, err = Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := os.Stat(filepath.Join(jsp, "keep")); err != nil {
		t.Errorf("a file beside the socket went with it: %v", err)
	}

	for _, tt := range []struct {
		name, want string
		make       func(dir string)
	}{
		{"writable by others", "writable by others", func(d string) { os.Mkdir(d, 0o700); os.Chmod(d, 0o777) }},
		{"symlink", "not a directory", func(d string) { os.Symlink(tmp, d) }},
		{"file", "not a directory", func(d string) { os.WriteFile(d, nil, 0o600) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := filepath.Join(tmp, "jupyter-server-proxy-"+strings.ReplaceAll(tt.name, " ", "-"))
			tt.make(d)
			ln, err := Listen(filepath.Join(d, "socket"))
			if err == nil {
				ln.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("another user's", func(t *testing.T) {
		d := filepath.Join(tmp, "jupyter-server-proxy-theirs")
		os.Mkdir(d, 0o700)
		err := privateDir(d, os.Getuid()+1)
		if err == nil || !strings.Contains(err.Error(), "belongs to another user") {
			t.Errorf("err = %v, want another user's directory refused", err)
		}
	})
}
