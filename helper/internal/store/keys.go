package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// HubID is a file-name-safe, readable name for a hub: host, port and
// base path ("hub.example.org", "127.0.0.1_8000", "example.org_jupyter").
func HubID(hubURL string) string {
	u, err := url.Parse(hubURL)
	if err != nil || u.Host == "" {
		return sanitize(hubURL)
	}
	id := u.Hostname()
	if port := u.Port(); port != "" {
		id += "_" + port
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		id += "_" + p
	}
	return sanitize(id)
}

// sanitize keeps letters, digits and . _ @ + -; anything else becomes "-".
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '@' || c == '+' || c == '-'
		if !ok {
			b[i] = '-'
		}
	}
	return string(b)
}

// KeyPair returns hubssh's ed25519 key for a hub, creating it on first use
// (no ssh-keygen needed): the private key path and the public key line.
func (s *Store) KeyPair(hubURL string) (string, []byte, error) {
	dir := filepath.Join(s.Dir, "keys", HubID(hubURL))
	priv := filepath.Join(dir, "id_ed25519")
	if b, err := os.ReadFile(priv); err == nil {
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return "", nil, fmt.Errorf("key %s is damaged (%v): delete it and connect again", priv, err)
		}
		return priv, ssh.MarshalAuthorizedKey(signer.PublicKey()), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("read key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", dir, err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	comment := "hubssh " + HubID(hubURL)
	block, err := ssh.MarshalPrivateKey(key, comment)
	if err != nil {
		return "", nil, err
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return "", nil, err
	}
	pub := ssh.MarshalAuthorizedKey(signer.PublicKey())
	pub = append(bytes.TrimSpace(pub), []byte(" "+comment+"\n")...)
	if err := atomicfile.Write(priv, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", nil, err
	}
	if err := atomicfile.Write(priv+".pub", pub, 0o644); err != nil {
		return "", nil, err
	}
	return priv, pub, nil
}

// KnownHosts is hubssh's own known_hosts file, named in every managed Host
// entry, so pinning never touches the user's ~/.ssh/known_hosts.
func (s *Store) KnownHosts() string { return filepath.Join(s.Dir, "known_hosts") }

// Pin makes hostKeys the only keys known for alias. Keys come from the
// server's authenticated control API, so there is no first-use prompt and
// a server that regenerated its key is re-pinned on the next connect.
func (s *Store) Pin(alias string, hostKeys []string) error {
	if len(hostKeys) == 0 {
		return errors.New("no host keys to pin")
	}
	var lines []string
	for _, k := range hostKeys {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
		if err != nil {
			return fmt.Errorf("server sent a host key that is not one: %w", err)
		}
		lines = append(lines, alias+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))))
	}
	return s.editKnownHosts(func(old []string) []string {
		var out []string
		for _, l := range old {
			if f := strings.Fields(l); len(f) > 0 && f[0] == alias {
				continue
			}
			out = append(out, l)
		}
		return append(out, lines...)
	})
}

// Unpin forgets alias's host keys.
func (s *Store) Unpin(alias string) error {
	return s.editKnownHosts(func(old []string) []string {
		var out []string
		for _, l := range old {
			if f := strings.Fields(l); len(f) > 0 && f[0] == alias {
				continue
			}
			out = append(out, l)
		}
		return out
	})
}

func (s *Store) editKnownHosts(f func([]string) []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := os.ReadFile(s.KnownHosts())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var old []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			old = append(old, l)
		}
	}
	out := f(old)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	text := strings.Join(out, "\n")
	if text != "" {
		text += "\n"
	}
	return atomicfile.Write(s.KnownHosts(), []byte(text), 0o600)
}
