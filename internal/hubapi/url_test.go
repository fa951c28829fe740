package hubapi

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseHubURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "hub.example.org", want: "https://hub.example.org/"},
		{in: "  https://hub.example.org  ", want: "https://hub.example.org/"},
		{in: "https://Hub.Example.org/", want: "https://hub.example.org/"},
		{in: "https://hub.example.org/hub/", want: "https://hub.example.org/"},
		{in: "https://hub.example.org/hub/token", want: "https://hub.example.org/"},
		{in: "https://hub.example.org/hub/home?x=1#frag", want: "https://hub.example.org/"},
		{in: "https://hub.example.org/user/alice/lab", want: "https://hub.example.org/"},
		{in: "https://example.org/jupyter", want: "https://example.org/jupyter/"},
		{in: "https://example.org/jupyter/hub/login", want: "https://example.org/jupyter/"},
		{in: "https://example.org/a%20b/hub/", want: "https://example.org/a%20b/"},
		{in: "http://127.0.0.1:8000", want: "http://127.0.0.1:8000/"},
		{in: "http://[::1]:8000/hub", want: "http://[::1]:8000/"},
		{in: "", wantErr: "hub URL is empty"},
		{in: "ftp://hub.example.org", wantErr: `scheme must be http or https`},
		{in: "https://", wantErr: "has no host"},
		{in: "https://u:p@hub.example.org", wantErr: "must not carry a user name"},
		{in: "https://hub.example.org/%zz", wantErr: "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseHubURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseHubURL(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseHubURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseHubURL(f *testing.F) {
	for _, s := range []string{"hub.example.org", "https://example.org/jupyter/hub/login", "http://[::1]:8000/hub", "https://example.org/a%20b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := ParseHubURL(in)
		if err != nil {
			return
		}
		s := u.String()
		// The result is a base URL: absolute, ending in "/", no query,
		// no credentials, and parsing it again changes nothing.
		if !strings.HasSuffix(s, "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			t.Fatalf("ParseHubURL(%q) = %q is not a clean base URL", in, s)
		}
		again, err := ParseHubURL(s)
		if err != nil || again.String() != s {
			t.Fatalf("not idempotent: %q -> %q -> %v, %v", in, s, again, err)
		}
	})
}

func TestServerAndWebsocketURL(t *testing.T) {
	base := func(s string) *url.URL {
		u, err := ParseHubURL(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		base, model, user, server, want string
	}{
		{"https://hub.example.org", "", "alice", "", "wss://hub.example.org/user/alice/sshd/"},
		{"http://127.0.0.1:8000", "", "alice", "", "ws://127.0.0.1:8000/user/alice/sshd/"},
		{"https://hub.example.org", "", "alice", "gpu", "wss://hub.example.org/user/alice/gpu/sshd/"},
		{"https://example.org/jupyter/", "", "a@b.org", "", "wss://example.org/jupyter/user/a@b.org/sshd/"},
		{"https://hub.example.org", "", "x y/z", "s?", "wss://hub.example.org/user/x%20y%2Fz/s%3F/sshd/"},
		// The hub's model: a path, or an absolute URL with subdomain_host.
		{"https://example.org/jupyter/", "/jupyter/user/alice/", "alice", "", "wss://example.org/jupyter/user/alice/sshd/"},
		{"https://hub.example.org", "https://alice.hub.example.org/user/alice/", "alice", "", "wss://alice.hub.example.org/user/alice/sshd/"},
		{"http://localhost:8000", "http://alice.localhost:8000/user/alice/gpu/", "alice", "gpu", "ws://alice.localhost:8000/user/alice/gpu/sshd/"},
		{"https://hub.example.org", "/user/x%20y/", "x y", "", "wss://hub.example.org/user/x%20y/sshd/"},
		{"https://hub.example.org", "/user/alice", "alice", "", "wss://hub.example.org/user/alice/sshd/"},
	}
	for _, tt := range tests {
		su, err := ServerURL(base(tt.base), tt.model, tt.user, tt.server)
		if err != nil {
			t.Errorf("ServerURL(%q, %q): %v", tt.base, tt.model, err)
			continue
		}
		if got := WebsocketURL(su); got != tt.want {
			t.Errorf("WebsocketURL(ServerURL(%q, %q, %q, %q)) = %q, want %q", tt.base, tt.model, tt.user, tt.server, got, tt.want)
		}
	}
	for _, bad := range []string{"ftp://x/user/a/", "javascript:alert(1)"} {
		if _, err := ServerURL(base("https://hub.example.org"), bad, "a", ""); err == nil {
			t.Errorf("ServerURL accepted %q", bad)
		}
	}
}
