package core

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
	"github.com/hubssh/hubssh/internal/fakehub"
	"github.com/hubssh/hubssh/internal/hubapi"
)

func TestAlias(t *testing.T) {
	tests := []struct {
		hub, user, server string
		want              string // exact, or prefix when it ends with "…"
	}{
		{"https://hub.example.org/", "alice", "", "hub.example.org-alice"},
		{"https://hub.example.org/", "alice", "gpu", "hub.example.org-alice-gpu"},
		{"http://127.0.0.1:8000/", "alice", "", "127.0.0.1_8000-alice"},
		{"https://hub.example.org/", "a@b.org", "", "hub.example.org-a@b.org"},
		{"https://hub.example.org/", "a-b", "", "hub.example.org-a-b-…"},
		{"https://hub.example.org/", "x y", "", "hub.example.org-x-y-…"},
	}
	for _, tt := range tests {
		got := Alias(tt.hub, tt.user, tt.server)
		if p, ok := strings.CutSuffix(tt.want, "…"); ok {
			if !strings.HasPrefix(got, p) || len(got) != len(p)+6 {
				t.Errorf("Alias(%q,%q,%q) = %q, want %s + 6 hex", tt.hub, tt.user, tt.server, got, p)
			}
		} else if got != tt.want {
			t.Errorf("Alias(%q,%q,%q) = %q, want %q", tt.hub, tt.user, tt.server, got, tt.want)
		}
		if _, err := sshconfig.Render([]sshconfig.Entry{{Alias: got, ProxyCommand: []string{"/x"}, IdentityFile: "/k", KnownHosts: "/h"}}); err != nil {
			t.Errorf("alias %q is not valid in the ssh config: %v", got, err)
		}
	}
	// (user "a-b", default) and (user "a", server "b") must not collide.
	if Alias("https://h/", "a-b", "") == Alias("https://h/", "a", "b") {
		t.Error("aliases collide")
	}
}

func TestMissingScopes(t *testing.T) {
	tests := []struct {
		name   string
		scopes []string
		want   string
	}{
		{"hub without scopes (1.x)", nil, ""},
		{"default token", []string{"access:servers!user=alice", "servers!user=alice", "tokens!user=alice", "read:users!user=alice"}, ""},
		{"admin", []string{"access:servers", "servers", "tokens", "admin:users"}, ""},
		{"read-only token", []string{"read:users!user=alice"}, "access:servers servers tokens"},
		{"no start", []string{"access:servers!server=alice/", "tokens!user=alice"}, "servers"},
		{"cannot mint server tokens", []string{"access:servers!user=alice", "servers!user=alice"}, "tokens"},
	}
	for _, tt := range tests {
		got := strings.Join(missingScopes(&hubapi.User{Name: "alice", Scopes: tt.scopes}), " ")
		if got != tt.want {
			t.Errorf("%s: missing %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNetworkCause(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"dns", &net.DNSError{Name: "hub.exmaple.org", Err: "no such host", IsNotFound: true}, "no such host hub.exmaple.org"},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, "has expired"},
		{"plain http", errors.New(`Get "https://h/": http: server gave HTTP response to HTTPS client`), "use http://"},
		{"other", errors.New("boom"), ""},
	}
	for _, tt := range tests {
		got := networkCause(fmt.Errorf("wrapped: %w", tt.err))
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}

func newService(t *testing.T) *Service {
	dir := t.TempDir()
	return &Service{
		Store:   &store.Store{Dir: dir},
		Secrets: &store.Secrets{Dir: dir, Keyring: store.NoKeyring{}},
		SSH:     sshconfig.Files{User: dir + "/ssh_config", Legacy: dir + "/managed"},
		Hubssh:  "/usr/bin/hubssh",
	}
}

func TestLoginErrors(t *testing.T) {
	tlsHub := httptest.NewTLSServer(http.NotFoundHandler()) // self-signed: unknown authority
	defer tlsHub.Close()
	html := fakehub.New(t).Handle("GET /hub/api/user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>welcome to nginx</html>"))
	})
	scoped := fakehub.New(t).Whoami("secret-value", "alice", "read:users!user=alice")
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // the hub is down: nothing listens there now
	tests := []struct {
		name, url string
		code      Code
		want      string
	}{
		{"hub down", downURL, CodeNetwork, "connection refused: the hub is down, or the port is wrong"},
		{"untrusted certificate", tlsHub.URL, CodeNetwork, "signed by an authority this computer does not trust"},
		{"not a hub", html.URL, CodeNotHub, "does not look like a JupyterHub"},
		{"restricted token", scoped.URL, CodeAuth, "lacks the scope access:servers and servers"},
		{"bad URL", "ftp://x", CodeUsage, "scheme must be http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			_, err := s.Login(context.Background(), tt.url, "secret-value")
			var ce *Error
			if !errors.As(err, &ce) || ce.Code != tt.code || !strings.Contains(ce.Message, tt.want) {
				t.Fatalf("err = %v (%+v), want code %s and %q", err, ce, tt.code, tt.want)
			}
			if strings.Contains(ce.Message, "secret-value") {
				t.Error("the message carries the token")
			}
			if st, _ := s.Store.Load(); len(st.Hubs) != 0 {
				t.Error("a failed login was remembered")
			}
		})
	}
}

func TestLoginRecordsExpiry(t *testing.T) {
	exp := "2030-01-02T03:04:05.000000Z"
	hub := fakehub.New(t).
		Handle("GET /hub/api/user", fakehub.WithToken("tok", fakehub.Reply(200, `{"name":"alice","token_id":"a42","scopes":["access:servers!user=alice","servers!user=alice","tokens!user=alice"]}`))).
		Handle("GET /hub/api/users/alice/tokens/a42", fakehub.Reply(200, `{"id":"a42","expires_at":"`+exp+`"}`))
	s := newService(t)
	h, err := s.Login(context.Background(), hub.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if h.TokenExpires == nil || h.TokenExpires.UTC().Format("2006-01-02T15:04:05") != "2030-01-02T03:04:05" || h.TokenStore != "file" {
		t.Errorf("record %+v", h)
	}
}
