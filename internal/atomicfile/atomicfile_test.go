package atomicfile

import (
	"github.com/hubssh/hubssh/internal/winetest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		old  *string // nil: no file before
		mode os.FileMode
	}{
		{name: "new file", mode: 0o600},
		{name: "replace", old: ptr("old content\n"), mode: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if tt.old != nil {
				os.WriteFile(p, []byte(*tt.old), 0o600)
			}
			if err := Write(p, []byte("new\n"), tt.mode); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			st, _ := os.Stat(p)
			if string(b) != "new\n" || st.Mode().Perm() != winetest.Perm(tt.mode, false) {
				t.Errorf("content %q mode %04o, want %q %04o", b, st.Mode().Perm(), "new\n", tt.mode)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("%d entries in the dir, want 1 (temp file left?)", len(ents))
			}
		})
	}
	if err := Write(filepath.Join(t.TempDir(), "missing-dir", "f"), nil, 0o600); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func ptr(s string) *string { return &s }

// TestCreateOnce: of processes creating one file at once, one writes it
// and every other sees that content whole; nothing is left behind.
func TestCreateOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	const n = 8
	var wg sync.WaitGroup
	created := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := Create(p, []byte{byte('a' + i)}, 0o600)
			if err != nil {
				t.Error(err)
			}
			created[i] = ok
		}()
	}
	wg.Wait()
	winners := 0
	for _, c := range created {
		if c {
			winners++
		}
	}
	b, _ := os.ReadFile(p)
	if winners != 1 || len(b) != 1 || !created[b[0]-'a'] {
		t.Fatalf("%d creators, content %q", winners, b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the dir, want 1", len(ents))
	}
	if ok, err := Create(p, []byte("z"), 0o600); ok || err != nil {
		t.Errorf("Create over an existing file: %v %v", ok, err)
	}
}
