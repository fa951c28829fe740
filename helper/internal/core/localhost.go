package core

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// LocalhostTransport is http.DefaultTransport's settings with one change:
// names under "localhost." dial as "localhost" itself. RFC 6761 §6.3 has
// them resolve to loopback and browsers do so, so a hub tried locally with
// subdomain_host = "http://localhost:8000" gives servers at
// alice.localhost:8000 that the user's browser reaches; the system
// resolver usually does not (#16). TLS still names the original host.
func LocalhostTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, localhostAddr(addr))
	}
	return t
}

// localhostAddr maps "NAME.localhost:PORT" to "localhost:PORT".
func localhostAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.HasSuffix(h, ".localhost") {
		return net.JoinHostPort("localhost", port)
	}
	return addr
}

// httpClient is s.HTTP when set (tests), else a client with timeout (0:
// none, for websockets) over s.Transport.
func (s *Service) httpClient(timeout time.Duration) *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: timeout, Transport: s.Transport}
}
