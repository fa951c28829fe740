package sshd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHostKeysPersist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, err := LoadOrCreateHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSA}
	if len(first) != len(wantTypes) || len(second) != len(wantTypes) {
		t.Fatalf("got %d and %d keys, want %d", len(first), len(second), len(wantTypes))
	}
	for i, kt := range HostKeyTypes {
		if !bytes.Equal(first[i].PublicKey().Marshal(), second[i].PublicKey().Marshal()) {
			t.Errorf("%s changed between starts", kt.File)
		}
		if got := first[i].PublicKey().Type(); got != wantTypes[i] {
			t.Errorf("%s: type %s, want %s", kt.File, got, wantTypes[i])
		}
		for name, want := range map[string]os.FileMode{kt.File: 0o600, kt.File + ".pub": 0o644} {
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != want {
				t.Errorf("%s mode %04o, want %04o", name, st.Mode().Perm(), want)
			}
		}
		pub, err := os.ReadFile(filepath.Join(dir, kt.File+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pub, ssh.MarshalAuthorizedKey(first[i].PublicKey())) {
			t.Errorf("%s.pub %q does not match the private key", kt.File, pub)
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %04o, want 0700", st.Mode().Perm())
	}
}

// TestHostKeysAddedBesideAnOldOne: a home from a hubsshd that made only
// the ed25519 key keeps it (clients pinned it) and gains the others.
func TestHostKeysAddedBesideAnOldOne(t *testing.T) {
	dir := t.TempDir()
	old, err := loadOrCreate(dir, HostKeyTypes[0])
	if err != nil {
		t.Fatal(err)
	}
	keys, err := LoadOrCreateHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keys[0].PublicKey().Marshal(), old.PublicKey().Marshal()) || len(keys) != 3 {
		t.Fatalf("the ed25519 key was replaced, or no others added (%d keys)", len(keys))
	}
}

func TestHostKeyConcurrentCreate(t *testing.T) {
	// Two servers of one user share a home and may start together.
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := LoadOrCreateHostKeys(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for _, k := range s {
				keys[i] = append(keys[i], k.PublicKey().Marshal()...)
			}
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[0], keys[i]) {
			t.Fatalf("process %d got a different host key", i)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestHostKeyReadableByOthersRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadOrCreate(dir, HostKeyTypes[0]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, HostKeyTypes[0].File)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateHostKeys(dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("err = %v, want a refusal that names the fix (chmod 600)", err)
	}
}
