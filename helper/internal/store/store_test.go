package store

import (
	"errors"
	"github.com/hubssh/hubssh/internal/winetest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeKeyring is an in-memory keyring; broken makes every call fail, hang
// (until closed) makes every call hang, as a locked Secret Service does.
type fakeKeyring struct {
	mu     sync.Mutex
	m      map[string]string
	broken bool
	hang   chan struct{}
}

func (k *fakeKeyring) do() error {
	if k.hang != nil {
		<-k.hang
	}
	if k.broken {
		return errors.New("org.freedesktop.secrets was not provided by any .service files")
	}
	return nil
}

func (k *fakeKeyring) Get(s, u string) (string, error) {
	if err := k.do(); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", errors.New("not found")
	}
	return v, nil
}

func (k *fakeKeyring) Set(s, u, p string) error {
	if err := k.do(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[s+"/"+u] = p
	return nil
}

func (k *fakeKeyring) Delete(s, u string) error {
	if err := k.do(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, s+"/"+u)
	return nil
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		name      string
		kr        *fakeKeyring
		wantWhere string
	}{
		{"keyring works", &fakeKeyring{}, "keyring"},
		{"no keyring: file", &fakeKeyring{broken: true}, "file"},
		{"keyring hangs: file after the timeout", &fakeKeyring{hang: make(chan struct{})}, "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.kr.hang != nil {
				// The abandoned keyring calls return when the test ends.
				t.Cleanup(func() { close(tt.kr.hang) })
			}
			s := &Secrets{Dir: dir, Keyring: tt.kr, Timeout: 100 * time.Millisecond}
			where, err := s.Set("https://hub.example.org/", "tok-1")
			if err != nil || where != tt.wantWhere {
				t.Fatalf("Set = %q, %v; want %q", where, err, tt.wantWhere)
			}
			if got, err := s.Get("https://hub.example.org/"); err != nil || got != "tok-1" {
				t.Fatalf("Get = %q, %v", got, err)
			}
			_, statErr := os.Stat(filepath.Join(dir, "tokens.json"))
			if (statErr == nil) != (where == "file") {
				t.Errorf("tokens.json exists=%v with the token in the %s", statErr == nil, where)
			}
			if where == "file" {
				st, _ := os.Stat(filepath.Join(dir, "tokens.json"))
				if st.Mode().Perm() != winetest.Perm(0o600, false) {
					t.Errorf("tokens.json mode %04o", st.Mode().Perm())
				}
			}
			if err := s.Delete("https://hub.example.org/"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get("https://hub.example.org/"); !errors.Is(err, ErrNoToken) {
				t.Errorf("after Delete: %v", err)
			}
		})
	}
}

func TestSecretsMovesFromFileToKeyring(t *testing.T) {
	dir := t.TempDir()
	kr := &fakeKeyring{broken: true}
	s := &Secrets{Dir: dir, Keyring: kr, Timeout: time.Second}
	s.Set("h", "old")
	kr.broken = false
	if where, _ := s.Set("h", "new"); where != "keyring" {
		t.Fatalf("where = %s", where)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if strings.Contains(string(b), "old") || strings.Contains(string(b), "new") {
		t.Errorf("a token stayed in the file after the keyring took it: %s", b)
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "cfg")}
	err := s.Update(func(st *State) error {
		st.Hubs = append(st.Hubs, Hub{URL: "https://b/", User: "bob"}, Hub{URL: "https://a/", User: "alice"})
		st.Hub("https://a/").AddServer(Server{User: "alice", Alias: "a-alice"})
		st.Hub("https://a/").AddServer(Server{User: "alice", Alias: "a-alice", Folder: "/home/alice"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Hubs) != 2 || st.Hubs[0].URL != "https://a/" {
		t.Fatalf("hubs %+v", st.Hubs)
	}
	h, srv := st.ByAlias("a-alice")
	if h == nil || srv.Folder != "/home/alice" || len(h.Servers) != 1 {
		t.Fatalf("ByAlias: %+v %+v", h, srv)
	}
	if fi, _ := os.Stat(filepath.Join(s.Dir, "hubs.json")); fi.Mode().Perm() != winetest.Perm(0o600, false) {
		t.Errorf("hubs.json mode %04o", fi.Mode().Perm())
	}
	os.WriteFile(filepath.Join(s.Dir, "hubs.json"), []byte("{"), 0o600)
	if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged file: %v", err)
	}
}
