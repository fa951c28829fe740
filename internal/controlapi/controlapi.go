// Package controlapi is the wire format of hubsshd's control API, shared by
// hubsshd (server) and hubssh (client). See docs/hubsshd.md, "Control API".
//
// The API is served by a second jupyter-server-proxy entry, EntryName, in
// HTTP mode, at SERVER_URL/sshd-control/ (/user/NAME[/SERVER]/sshd-control/
// on the hub's host without subdomains). Every request carries
// "Authorization: token TOKEN"; hubsshd checks the token against the hub
// itself before it does anything.
package controlapi

// EntryName is the jupyter-server-proxy entry of the control API.
const EntryName = "sshd-control"

// Endpoints, relative to the entry's URL.
const (
	PathHostKeys = "hostkeys" // GET → HostKeys
	PathInfo     = "info"     // GET → Info
	PathKeys     = "keys"     // GET → Keys; POST AddKey → Key; DELETE keys/FINGERPRINT
)

// Path is the URL path of an endpoint relative to the server's URL
// (hubapi.ServerURL).
func Path(endpoint string) string {
	return EntryName + "/" + endpoint
}

// HostKeys lists the server's host public keys, authorized_keys format.
type HostKeys struct {
	HostKeys []string `json:"host_keys"`
}

// Info describes the server side: where sessions start (the folder an
// editor opens) and hubsshd's version.
type Info struct {
	Home    string `json:"home"`
	Version string `json:"version"`
	// User is the account sessions run as ("jovyan" in most images), for
	// the ssh config's User line: paramiko, sshj and GUI clients need a
	// user name. hubsshd itself accepts any. Empty when it has no name
	// (an arbitrary uid without a passwd entry, as on OpenShift).
	User string `json:"user,omitempty"`
}

// AddKey asks hubsshd to accept a public key (one authorized_keys line,
// no options).
type AddKey struct {
	PublicKey string `json:"public_key"`
}

// Key describes an accepted key.
type Key struct {
	Fingerprint string `json:"fingerprint"` // "SHA256:…"
	Type        string `json:"type"`
	Comment     string `json:"comment"`
	Added       bool   `json:"added"` // POST only: false when it was already there
}

// Keys lists the keys hubssh deployed (not the user's own authorized_keys).
type Keys struct {
	Keys []Key `json:"keys"`
}

// Error is the body of every reply that is not 2xx.
type Error struct {
	Message string `json:"message"`
}
