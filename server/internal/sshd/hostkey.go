package sshd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// HostKeyType is one kind of host key hubsshd offers, kept in File inside
// the state dir (the public half beside it with ".pub" added).
type HostKeyType struct {
	File     string
	generate func() (crypto.Signer, error)
}

// HostKeyTypes are the keys hubsshd offers, in sshd's file names. Ed25519
// first; ECDSA and RSA (signed with rsa-sha2-256/512, never SHA-1) for
// clients without Ed25519: older JSch, older PuTTY, FIPS-mode builds (#16).
var HostKeyTypes = []HostKeyType{
	{"ssh_host_ed25519_key", func() (crypto.Signer, error) {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}},
	{"ssh_host_ecdsa_key", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
	// 3072 bits, as ssh-keygen makes: 0.04–0.64 s once per home.
	{"ssh_host_rsa_key", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) }},
}

// LoadOrCreateHostKeys returns every host key of HostKeyTypes kept in dir,
// creating the missing ones (in parallel: RSA takes the longest). The keys
// live in the user's home so they survive pod restarts: new keys on every
// start would make every client shout "REMOTE HOST IDENTIFICATION HAS
// CHANGED".
func LoadOrCreateHostKeys(dir string) ([]ssh.Signer, error) {
	keys := make([]ssh.Signer, len(HostKeyTypes))
	errs := make([]error, len(HostKeyTypes))
	var wg sync.WaitGroup
	for i, kt := range HostKeyTypes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = loadOrCreate(dir, kt)
		}()
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if k.PublicKey().Type() != ssh.KeyAlgoRSA {
			continue
		}
		// SHA-2 signatures only, as OpenSSH's sshd since 8.8: no
		// "ssh-rsa" (SHA-1) for a client to be downgraded to.
		as, ok := k.(ssh.AlgorithmSigner)
		if !ok {
			return nil, fmt.Errorf("host key %s cannot sign with SHA-2", HostKeyTypes[i].File)
		}
		if keys[i], err = ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}); err != nil {
			return nil, fmt.Errorf("host key %s: %w", HostKeyTypes[i].File, err)
		}
	}
	return keys, nil
}

// loadOrCreate returns the key of type kt kept in dir, creating it first.
//
// Two hubsshd processes may start at once (two servers of one user share a
// home, and the control entry starts beside the SSH one): the private key
// is written to a temp file and linked into place, so exactly one key wins
// and both processes use it.
func loadOrCreate(dir string, kt HostKeyType) (ssh.Signer, error) {
	path := filepath.Join(dir, kt.File)
	if s, err := loadHostKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create host key dir: %w", err)
	}
	priv, err := kt.generate()
	if err != nil {
		return nil, fmt.Errorf("generate host key %s: %w", kt.File, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "hubsshd host key")
	if err != nil {
		return nil, fmt.Errorf("encode host key %s: %w", kt.File, err)
	}
	// Another process may have linked its key first; then use that one.
	if _, err := atomicfile.Create(path, pem.EncodeToMemory(block), 0o600); err != nil {
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
