// Package hubapi is a small client for the JupyterHub REST API (/hub/api) and
// the URL rules hubssh relies on. Both binaries and the dev harness share it:
// the helper talks to the hub, hubsshd will verify tokens against it.
package hubapi

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseHubURL turns what a user types for a hub into the hub's base URL: the
// public URL under which "/hub/api/" and "/user/NAME/" live, always ending in
// "/". It accepts a bare host ("hub.example.org" means https), a trailing
// "/hub" or "/hub/…" page a user copied from the browser, and a base_url
// prefix ("https://example.org/jupyter/").
func ParseHubURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, fmt.Errorf("hub URL is empty: give the address you open JupyterHub at, e.g. https://hub.example.org")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("hub URL %q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("hub URL %q: scheme must be http or https, not %q", raw, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("hub URL %q has no host: give the address you open JupyterHub at, e.g. https://hub.example.org", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("hub URL %q must not carry a user name or password", raw)
	}
	p := u.EscapedPath()
	// Cut at the first "/hub" or "/user" segment: anything after it is a page
	// of the hub, not part of its base_url.
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var base []string
	for _, seg := range segs {
		if seg == "hub" || seg == "user" {
			break
		}
		if seg != "" {
			base = append(base, seg)
		}
	}
	out := &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}
	if len(base) == 0 {
		out.Path = "/"
	} else {
		rawPath := "/" + strings.Join(base, "/") + "/"
		unescaped, err := url.PathUnescape(rawPath)
		if err != nil {
			return nil, fmt.Errorf("hub URL %q: bad path: %w", raw, err)
		}
		out.Path, out.RawPath = unescaped, rawPath
	}
	return out, nil
}

// ServerPath is the path, relative to the hub base URL, of a user's server:
// "user/NAME/" for the default server, "user/NAME/SERVER/" for a named one.
// Escaping follows JupyterHub (quote with safe "@~"), so user names such as
// "a@b.org" keep their "@".
func ServerPath(user, server string) string {
	p := "user/" + escapeName(user) + "/"
	if server != "" {
		p += escapeName(server) + "/"
	}
	return p
}

// ServerURL is the absolute URL of a user's server, ending in "/". The
// hub's model gives it (model, the server's "url"): a path under the hub's
// host, or with c.JupyterHub.subdomain_host an absolute URL on the user's
// own host ("https://alice.hub.example.org/user/alice/", #16). With no
// model URL it is base + ServerPath, where servers live without
// subdomains.
func ServerURL(base *url.URL, model, user, server string) (*url.URL, error) {
	if model == "" {
		return base.Parse(ServerPath(user, server))
	}
	u, err := base.Parse(model)
	if err != nil {
		return nil, fmt.Errorf("the hub's URL of %s's server %q: %w", user, model, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("the hub's URL of %s's server %q is not an http(s) URL", user, model)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// SSHDEntry is where jupyter-server-proxy exposes hubsshd inside a user's
// server, relative to the server's URL. The trailing slash matters: without
// it jupyter-server-proxy answers a redirect, and websocket clients do not
// follow it.
const SSHDEntry = "sshd/"

// WebsocketURL returns the ws:// or wss:// URL of the hubsshd of the
// server at serverURL (see ServerURL).
func WebsocketURL(serverURL *url.URL) string {
	u := *serverURL
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	return u.String() + SSHDEntry
}

func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || c == '@' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// isUnreserved matches Python's urllib.parse.quote always-safe set, which
// JupyterHub uses for user and server names in URLs.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_'
}
