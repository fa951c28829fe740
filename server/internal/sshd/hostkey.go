package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// HostKeyFile is the name of the ed25519 host key inside the state dir; the
// public half sits beside it with ".pub" added.
const HostKeyFile = "ssh_host_ed25519_key"

// LoadOrCreateHostKey returns the host key kept in dir, creating it on first
// use. The key lives in the user's home so it survives pod restarts: a new
// key on every start would make every client shout "REMOTE HOST
// IDENTIFICATION HAS CHANGED".
//
// Two hubsshd processes may start at once (two servers of one user share a
// home): the private key is written to a temp file and linked into place, so
// exactly one key wins and both processes use it.
func LoadOrCreateHostKey(dir string) (ssh.Signer, error) {
	path := filepath.Join(dir, HostKeyFile)
	if s, err := loadHostKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create host key dir: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "hubsshd host key")
	if err != nil {
		return nil, fmt.Errorf("encode host key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".hostkey-*")
	if err != nil {
		return nil, fmt.Errorf("write host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write host key: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write host key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write host key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write host key: %w", err)
	}
	// Link fails if another process got there first; then use its key.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("install host key: %w", err)
	}
	s, err := loadHostKey(path)
	if err != nil {
		return nil, err
	}
	pub := ssh.MarshalAuthorizedKey(s.PublicKey())
	if err := atomicfile.Write(path+".pub", pub, 0o644); err != nil {
		return nil, fmt.Errorf("write host public key: %w", err)
	}
	return s, nil
}

func loadHostKey(path string) (ssh.Signer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	// Like sshd, refuse a private key others can read: it may have leaked.
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("host key %s has mode %04o: others can read it; run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("parse host key %s: %w", path, err)
	}
	return s, nil
}
