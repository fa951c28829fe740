package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// RuntimeDirEnv names the per-user runtime directory of the XDG base
// directory spec: private to the user, removed at logout, and on most
// Linux systems a tmpfs (memory, not disk).
const RuntimeDirEnv = "XDG_RUNTIME_DIR"

// RuntimeDir returns hubssh's directory for CI mode's minted tokens, or ""
// when the system has no runtime directory held in memory: then those
// tokens stay in each process's memory only. Tokens never go to a disk in
// CI mode (#10).
func RuntimeDir(getenv func(string) string) string {
	d := getenv(RuntimeDirEnv)
	if d == "" || !filepath.IsAbs(d) {
		return ""
	}
	fi, err := os.Stat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !inMemory(d) {
		return ""
	}
	return filepath.Join(d, "hubssh")
}

// RuntimeTokens is a JSON map of minted tokens in the runtime directory,
// one file per CI token (named by a hash of it), so jobs with different
// tokens never share one.
type RuntimeTokens struct {
	path string
	mu   sync.Mutex
}

// NewRuntimeTokens returns the file for the CI token ciToken in dir.
func NewRuntimeTokens(dir, ciToken string) *RuntimeTokens {
	sum := sha256.Sum256([]byte("hubssh runtime tokens\x00" + ciToken))
	return &RuntimeTokens{path: filepath.Join(dir, "ci-"+hex.EncodeToString(sum[:12])+".json")}
}

func (r *RuntimeTokens) load() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if b, err := os.ReadFile(r.path); err == nil {
		json.Unmarshal(b, &m)
	}
	return m
}

// Get returns the raw value under key.
func (r *RuntimeTokens) Get(key string) (json.RawMessage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.load()[key]
	return v, ok
}

// Set stores a value under key (0600, in a 0700 directory).
func (r *RuntimeTokens) Set(key string, v json.RawMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.load()
	m[key] = v
	return r.save(m)
}

// Delete removes key; the file goes when it is empty.
func (r *RuntimeTokens) Delete(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.load()
	if _, ok := m[key]; !ok {
		return
	}
	delete(m, key)
	if len(m) == 0 {
		os.Remove(r.path)
		return
	}
	r.save(m)
}

func (r *RuntimeTokens) save(m map[string]json.RawMessage) error {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return atomicfile.Write(r.path, b, 0o600)
}
