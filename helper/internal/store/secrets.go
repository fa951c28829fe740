package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// TokenEnv, when set, is the token for every hub: CI mode, where no keyring
// exists and no token is written (helper/internal/core/tokens.go).
const TokenEnv = "HUBSSH_TOKEN"

// ErrNoToken means no token is stored for the hub.
var ErrNoToken = errors.New("no token stored")

// Secrets keeps tokens: the OS keyring (Keychain, Credential Manager,
// Secret Service) when one answers, else a 0600 file in the config dir,
// which Set reports so the user is told.
type Secrets struct {
	Dir     string
	Keyring Keyring       // nil: the OS keyring
	Timeout time.Duration // for each keyring call; 0 means 3 s
	mu      sync.Mutex
}

// Keyring is the part of the OS keyring hubssh uses.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

const service = "hubssh"

func (s *Secrets) kr() Keyring {
	if s.Keyring == nil {
		return osKeyring{}
	}
	return s.Keyring
}

// withTimeout runs a keyring call with a deadline: a locked keychain or a
// Secret Service that never answers must not hang ssh (gh does the same).
func (s *Secrets) withTimeout(f func() error) error {
	d := s.Timeout
	if d == 0 {
		d = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("the OS keyring did not answer within %s", d)
	}
}

// Get returns the token for key (a hub URL, or a derived key).
func (s *Secrets) Get(key string) (string, error) {
	var tok string
	err := s.withTimeout(func() (err error) {
		tok, err = s.kr().Get(service, key)
		return err
	})
	if err == nil && tok != "" {
		return tok, nil
	}
	if tok, ferr := s.fileGet(key); ferr == nil {
		return tok, nil
	}
	return "", ErrNoToken
}

// Set stores a token; where says "keyring" or "file".
func (s *Secrets) Set(key, token string) (where string, err error) {
	kerr := s.withTimeout(func() error { return s.kr().Set(service, key, token) })
	if kerr == nil {
		s.fileDelete(key) // never two copies
		return "keyring", nil
	}
	if err := s.fileSet(key, token); err != nil {
		return "", fmt.Errorf("no OS keyring (%v), and the file fallback failed: %w", kerr, err)
	}
	return "file", nil
}

// Delete removes a token everywhere it may be.
func (s *Secrets) Delete(key string) error {
	kerr := s.withTimeout(func() error { return s.kr().Delete(service, key) })
	ferr := s.fileDelete(key)
	if kerr != nil && !errors.Is(kerr, keyring.ErrNotFound) && ferr != nil {
		return fmt.Errorf("remove token: keyring: %v; file: %w", kerr, ferr)
	}
	return nil
}

func (s *Secrets) file() string { return filepath.Join(s.Dir, "tokens.json") }

func (s *Secrets) fileLoad() (map[string]string, error) {
	b, err := os.ReadFile(s.file())
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", s.file(), err)
	}
	return m, nil
}

func (s *Secrets) fileGet(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileLoad()
	if err != nil {
		return "", err
	}
	if t, ok := m[key]; ok {
		return t, nil
	}
	return "", ErrNoToken
}

func (s *Secrets) fileSet(key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileLoad()
	if errors.Is(err, fs.ErrNotExist) {
		m, err = map[string]string{}, nil
	}
	if err != nil {
		return err
	}
	m[key] = token
	return s.fileSave(m)
}

func (s *Secrets) fileDelete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.fileLoad()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return s.fileSave(m)
}

func (s *Secrets) fileSave(m map[string]string) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return atomicfile.Write(s.file(), b, 0o600)
}

// NoKeyringEnv, when set to any value, keeps hubssh away from the OS
// keyring (tests, machines where its prompts get in the way): tokens go
// to the 0600 file.
const NoKeyringEnv = "HUBSSH_NO_KEYRING"

// NoKeyring is a Keyring that is never there.
type NoKeyring struct{}

var errNoKeyring = errors.New("keyring disabled by " + NoKeyringEnv)

func (NoKeyring) Get(string, string) (string, error) { return "", errNoKeyring }
func (NoKeyring) Set(string, string, string) error   { return errNoKeyring }
func (NoKeyring) Delete(string, string) error        { return errNoKeyring }
