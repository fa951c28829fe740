package core

import "testing"

func TestLocalhostAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice.localhost:8000", "localhost:8000"},
		{"Alice.Sub.LOCALHOST.:443", "localhost:443"},
		{"localhost:8000", "localhost:8000"},
		{"hub.example.org:443", "hub.example.org:443"},
		{"notlocalhost:80", "notlocalhost:80"},
		{"alice.localhost.example.org:80", "alice.localhost.example.org:80"},
		{"[::1]:22", "[::1]:22"},
	}
	for _, tt := range tests {
		if got := localhostAddr(tt.in); got != tt.want {
			t.Errorf("localhostAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
