// Package store keeps what hubssh remembers between runs: the hubs a user
// logged in to and the servers they connected to (hubs.json, no secrets),
// key pairs, the pinned host keys, and tokens (in the OS keyring, see
// secrets.go).
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/internal/atomicfile"
)

// DirEnv overrides the config directory (tests, several profiles).
const DirEnv = "HUBSSH_CONFIG_DIR"

// DefaultDir is the per-OS config directory: $XDG_CONFIG_HOME/hubssh on
// Linux, ~/Library/Application Support/hubssh on macOS, %AppData%\hubssh on
// Windows.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w (set %s)", err, DirEnv)
	}
	return filepath.Join(d, "hubssh"), nil
}

// Hub is one hub a user logged in to.
type Hub struct {
	URL          string     `json:"url"`  // normalised base URL
	User         string     `json:"user"` // the token's owner
	Scopes       []string   `json:"scopes,omitempty"`
	TokenExpires *time.Time `json:"token_expires,omitempty"`
	TokenStore   string     `json:"token_store"` // "keyring" or "file": where the token is
	Servers      []Server   `json:"servers,omitempty"`
	Added        time.Time  `json:"added"`
}

// Server is a server hubssh wrote an ssh config entry for.
type Server struct {
	User   string `json:"user"`
	Name   string `json:"name"` // "" for the default server
	Alias  string `json:"alias"`
	Folder string `json:"folder,omitempty"` // the server's home, for editors
	Login  string `json:"login,omitempty"`  // the account sessions run as, for the User line
	// URL is the server's URL as the hub reported it at connect time: on
	// its own host when the hub uses subdomain_host.
	URL string `json:"url,omitempty"`
}

// State is hubs.json.
type State struct {
	Hubs []Hub `json:"hubs"`
	// SSHOptions go on every hubssh host, after hubssh's own options.
	SSHOptions []sshconfig.Option `json:"ssh_options,omitempty"`
}

// Store reads and writes the config directory.
type Store struct {
	Dir string
	mu  sync.Mutex
}

func (s *Store) path() string { return filepath.Join(s.Dir, "hubs.json") }

// Load reads hubs.json; a missing file is an empty state.
func (s *Store) Load() (*State, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.path(), err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): move it away and log in again", s.path(), err)
	}
	return &st, nil
}

// Update applies f to the state and saves it atomically (0600).
func (s *Store) Update(f func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.Load()
	if err != nil {
		return err
	}
	if err := f(st); err != nil {
		return err
	}
	sort.Slice(st.Hubs, func(i, j int) bool { return st.Hubs[i].URL < st.Hubs[j].URL })
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", s.Dir, err)
	}
	return atomicfile.Write(s.path(), append(b, '\n'), 0o600)
}

// Hub returns the record for url, or nil.
func (st *State) Hub(url string) *Hub {
	for i := range st.Hubs {
		if st.Hubs[i].URL == url {
			return &st.Hubs[i]
		}
	}
	return nil
}

// ByAlias finds the hub and server behind an ssh host alias.
func (st *State) ByAlias(alias string) (*Hub, *Server) {
	for i := range st.Hubs {
		for j := range st.Hubs[i].Servers {
			if st.Hubs[i].Servers[j].Alias == alias {
				return &st.Hubs[i], &st.Hubs[i].Servers[j]
			}
		}
	}
	return nil, nil
}

// AddServer records a server under its hub (idempotent by alias).
func (h *Hub) AddServer(s Server) {
	for i := range h.Servers {
		if h.Servers[i].Alias == s.Alias {
			h.Servers[i] = s
			return
		}
	}
	h.Servers = append(h.Servers, s)
}
