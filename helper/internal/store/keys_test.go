package store

import (
	"bytes"
	"github.com/hubssh/hubssh/internal/winetest"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHubID(t *testing.T) {
	tests := map[string]string{
		"https://hub.example.org/":        "hub.example.org",
		"http://127.0.0.1:8000/":          "127.0.0.1_8000",
		"https://example.org/jupyter/":    "example.org_jupyter",
		"http://[::1]:8000/":              "--1_8000",
		"https://example.org/a%20b/hub/x": "example.org_a-b-hub-x",
	}
	for in, want := range tests {
		if got := HubID(in); got != want {
			t.Errorf("HubID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeyPair(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	priv, pub, err := s.KeyPair("https://hub.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(priv)
	if st.Mode().Perm() != winetest.Perm(0o600, false) {
		t.Errorf("private key mode %04o", st.Mode().Perm())
	}
	pk, comment, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil || pk.Type() != ssh.KeyAlgoED25519 || comment != "hubssh hub.example.org" {
		t.Fatalf("public key %q: %v", pub, err)
	}
	_, again, err := s.KeyPair("https://hub.example.org/")
	if err != nil || !bytes.Equal(bytes.Fields(again)[1], bytes.Fields(pub)[1]) {
		t.Errorf("second KeyPair gave another key")
	}
	_, other, _ := s.KeyPair("https://other.example.org/")
	if bytes.Equal(bytes.Fields(other)[1], bytes.Fields(pub)[1]) {
		t.Error("two hubs share a key")
	}
}

func TestPin(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	k1 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	k2 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if err := s.Pin("a", []string{k1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Pin("b", []string{k1 + " comment"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Pin("a", []string{k2}); err != nil { // a's server got a new key
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.KnownHosts())
	if want := "b " + k1 + "\na " + k2 + "\n"; string(b) != want {
		t.Errorf("known_hosts:\n%s\nwant\n%s", b, want)
	}
	if err := s.Pin("c", []string{"not a key"}); err == nil || !strings.Contains(err.Error(), "not one") {
		t.Errorf("garbage key: %v", err)
	}
	s.Unpin("b")
	b, _ = os.ReadFile(s.KnownHosts())
	if string(b) != "a "+k2+"\n" {
		t.Errorf("after unpin: %q", b)
	}
}
