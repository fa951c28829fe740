package rpc

import (
	"time"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/store"
)

// The wire types are kept apart from what hubssh stores (hubs.json) and
// what core returns, so that renaming a stored field cannot change the
// protocol, and the protocol's one casing cannot leak into the files.
// The CLI's --json output uses them too: one shape for scripts either way.

// HubOf is the wire form of a stored hub.
func HubOf(h store.Hub) Hub {
	out := Hub{
		URL: h.URL, User: h.User, Scopes: h.Scopes, TokenStore: TokenStore(h.TokenStore),
		Servers: make([]Server, 0, len(h.Servers)), Added: stamp(&h.Added),
	}
	if h.TokenExpires != nil {
		out.TokenExpires = stamp(h.TokenExpires)
	}
	for _, s := range h.Servers {
		out.Servers = append(out.Servers, Server{User: s.User, Name: s.Name, Alias: s.Alias, Folder: s.Folder, Login: s.Login, URL: s.URL})
	}
	return out
}

// HubsOf lists stored hubs for the wire, [] rather than null when none.
func HubsOf(hubs []store.Hub) HubsListResult {
	out := HubsListResult{Hubs: make([]Hub, 0, len(hubs))}
	for _, h := range hubs {
		out.Hubs = append(out.Hubs, HubOf(h))
	}
	return out
}

// ServersOf is the wire form of servers/list.
func ServersOf(list []core.ServerInfo) ServersListResult {
	out := ServersListResult{Servers: make([]ServerInfo, 0, len(list))}
	for _, s := range list {
		out.Servers = append(out.Servers, ServerInfo{
			Name: s.Name, State: ServerState(s.State), URL: s.URL, LastActivity: stamp(s.LastActivity), Alias: s.Alias,
		})
	}
	return out
}

// ChecksOf is the wire form of diagnose.
func ChecksOf(checks []core.Check) DiagnoseResult {
	out := DiagnoseResult{Checks: make([]Check, 0, len(checks))}
	for _, c := range checks {
		out.Checks = append(out.Checks, Check{Name: c.Name, Status: CheckStatus(c.Status), Detail: c.Detail, Fix: c.Fix})
	}
	return out
}

// PreparedOf is the wire form of connect/prepare; sshConfig is the file
// hubssh edited.
func PreparedOf(p core.Prepared, sshConfig string) PrepareResult {
	return PrepareResult{Hub: p.Hub, User: p.User, Server: p.Server, Alias: p.Alias, Folder: p.Folder, SSHConfig: sshConfig}
}

// stamp writes a time as RFC 3339 in UTC, or "" for none.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
