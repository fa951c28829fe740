package authkeys

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func mustKey(t *testing.T, line string) ssh.PublicKey {
	t.Helper()
	pk, _, err := ParseOne(line)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func TestParseOne(t *testing.T) {
	tests := []struct {
		name, line, wantErr string
	}{
		{name: "plain", line: testPub + " me@laptop"},
		{name: "surrounding space", line: "  " + testPub + "\n"},
		{name: "options", line: "restrict " + testPub, wantErr: "must not carry options"},
		{name: "two lines", line: testPub + "\n" + testPub, wantErr: "several lines"},
		{name: "private key pasted", line: "-----BEGIN OPENSSH PRIVATE KEY-----", wantErr: "not an OpenSSH public key"},
		{name: "empty", line: "", wantErr: "not an OpenSSH public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseOne(tt.line)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	kf := KeyFile{Path: filepath.Join(dir, "authorized_keys")}
	// A file the user already had content in keeps it byte for byte.
	os.WriteFile(kf.Path, []byte("# mine\n"+testPub+" kept"), 0o600)
	other := strings.Replace(testPub, "AAAAC3NzaC1lZDI1NTE5AAAAIAE", "AAAAC3NzaC1lZDI1NTE5AAAAIAI", 1)
	pk := mustKey(t, other)
	added, err := kf.Add(pk, "hubssh alice@laptop")
	if err != nil || !added {
		t.Fatalf("Add = %v, %v", added, err)
	}
	if added, err := kf.Add(pk, "again"); err != nil || added {
		t.Fatalf("second Add = %v, %v; want not added", added, err)
	}
	b, _ := os.ReadFile(kf.Path)
	want := "# mine\n" + testPub + " kept\n" + other + " hubssh alice@laptop\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	keys, err := kf.List()
	if err != nil || len(keys) != 2 {
		t.Fatalf("List = %d keys, %v", len(keys), err)
	}
	if removed, err := kf.Remove(ssh.FingerprintSHA256(pk)); err != nil || !removed {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	if removed, _ := kf.Remove(ssh.FingerprintSHA256(pk)); removed {
		t.Error("removed twice")
	}
	b, _ = os.ReadFile(kf.Path)
	if string(b) != "# mine\n"+testPub+" kept\n" {
		t.Errorf("after remove: %q", b)
	}
	if st, _ := os.Stat(kf.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
}

func TestKeyFileConcurrentAdds(t *testing.T) {
	kf := KeyFile{Path: filepath.Join(t.TempDir(), "authorized_keys")}
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pub := strings.Replace(testPub, "AAAAC3NzaC1lZDI1NTE5AAAAIAE", "AAAAC3NzaC1lZDI1NTE5AAAAIA"+string("ABCDEFGHIJ"[i]), 1)
			if _, err := kf.Add(mustKey(t, pub), ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	keys, _ := kf.List()
	if len(keys) != n {
		t.Fatalf("%d keys after %d concurrent adds; an update was lost", len(keys), n)
	}
}
