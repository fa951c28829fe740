// Package rpc is hubssh's JSON-RPC 2.0 front end ("hubssh serve"): the same
// core the CLI uses, for editors and CI scripts, over stdio with the
// Content-Length framing language servers use. docs/rpc.md documents every
// method. This file is the source of truth for names, params, results and
// codes: extension/src/protocol.ts is generated from it.
package rpc

//go:generate go test -run TestProtocolTS -update .

// ProtocolVersion changes when a method or type changes incompatibly.
// Version 2 gave every result a type and every field camelCase.
const ProtocolVersion = 2

// Method names.
const (
	MethodVersion        = "version"
	MethodHubsAdd        = "hubs/add"
	MethodHubsList       = "hubs/list"
	MethodHubsRemove     = "hubs/remove"
	MethodServersList    = "servers/list"
	MethodServersStart   = "servers/start"
	MethodServersStop    = "servers/stop"
	MethodConnectPrepare = "connect/prepare"
	MethodDiagnose       = "diagnose"
	MethodCancel         = "$/cancelRequest" // notification
	MethodProgress       = "$/progress"      // notification, server → client
	MethodConnection     = "$/connection"    // notification, server → client
)

// Error codes: one per ErrorKind in the range JSON-RPC leaves to servers,
// and LSP's code for a cancelled request.
const (
	CodeUsage     = -32001
	CodeAuth      = -32002
	CodeServer    = -32003
	CodeNetwork   = -32004
	CodeNotHub    = -32005
	CodeConfig    = -32006
	CodeProtocol  = -32007 // no protocol version in common: update the older side
	CodeInternal  = -32603 // JSON-RPC's own
	CodeCancelled = -32800 // as LSP's RequestCancelled
)

// ErrorKind is error.data.kind: the name of the code.
type ErrorKind string

const (
	KindUsage    ErrorKind = "usage"
	KindAuth     ErrorKind = "auth"
	KindServer   ErrorKind = "server"
	KindNetwork  ErrorKind = "network"
	KindNotHub   ErrorKind = "not-a-hub"
	KindConfig   ErrorKind = "config"
	KindProtocol ErrorKind = "protocol"
	KindInternal ErrorKind = "internal"
)

// ErrorData is error.data.
type ErrorData struct {
	Kind ErrorKind `json:"kind"`
}

// VersionParams negotiates the protocol: the client lists the versions it
// speaks and the helper answers with the newest both do. A client that
// lists none (an older one, a quick script) gets the helper's newest.
type VersionParams struct {
	Protocols []int `json:"protocols,omitempty"`
	// Client names the caller ("hubssh-vscode 0.4.0") in the message that
	// says which side to update.
	Client string `json:"client,omitempty"`
}

// VersionResult answers "version".
type VersionResult struct {
	Version string `json:"version"`
	// Protocol is the version chosen for this connection.
	Protocol int `json:"protocol"`
	// Protocols lists every version this helper speaks.
	Protocols []int `json:"protocols"`
}

// HubsAddParams logs in: the token travels here, never in argv or env.
type HubsAddParams struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// HubRef names a hub: its URL (any form), its ID, or "" for the only one.
type HubRef struct {
	Hub string `json:"hub,omitempty"`
}

// ServerRef names a server of a user on a hub.
type ServerRef struct {
	Hub string `json:"hub,omitempty"`
	// User defaults to the token's owner.
	User string `json:"user,omitempty"`
	// Server defaults to the default server ("").
	Server string `json:"server,omitempty"`
	// ProgressToken, if set, makes the helper send $/progress
	// notifications with this token while the server starts.
	ProgressToken any `json:"progressToken,omitempty" ts:"string | number"`
}

// PrepareParams is connect/prepare.
type PrepareParams struct {
	ServerRef
	// SSHOptions, when present, replace the extra ssh_config options hubssh
	// writes on every one of its hosts (keyword → value; {} clears them).
	SSHOptions *map[string]string `json:"sshOptions,omitempty"`
}

// StartParams starts a server.
type StartParams struct {
	ServerRef
	// Options are the spawner's user_options.
	Options map[string]any `json:"options,omitempty"`
}

// StopParams stops a server; Remove also deletes a named one.
type StopParams struct {
	ServerRef
	Remove bool `json:"remove,omitempty"`
}

// Empty is the result of a method that returns nothing but success.
type Empty struct{}

// TokenStore says where a hub's token is kept.
type TokenStore string

const (
	StoreKeyring TokenStore = "keyring"
	StoreFile    TokenStore = "file"
)

// Hub is a hub hubssh knows; it never carries the token.
type Hub struct {
	URL          string     `json:"url"`
	User         string     `json:"user"` // the token's owner
	Scopes       []string   `json:"scopes,omitempty"`
	TokenExpires string     `json:"tokenExpires,omitempty"` // RFC 3339
	TokenStore   TokenStore `json:"tokenStore"`
	// Servers are those hubssh wrote an ssh config entry for.
	Servers []Server `json:"servers"`
	Added   string   `json:"added"` // RFC 3339
}

// Server is a server hubssh wrote an ssh config entry for.
type Server struct {
	User  string `json:"user"`
	Name  string `json:"name"` // "" for the default server
	Alias string `json:"alias"`
	// Folder is the server's home, for editors.
	Folder string `json:"folder,omitempty"`
	// Login is the account sessions run as on the server ("jovyan"),
	// written as the ssh config's User.
	Login string `json:"login,omitempty"`
	// URL is the server's URL as the hub reported it (on its own host when
	// the hub uses subdomain_host).
	URL string `json:"url,omitempty"`
}

// HubsListResult answers hubs/list.
type HubsListResult struct {
	Hubs []Hub `json:"hubs"`
}

// ServerState is a server's state as the hub reports it.
type ServerState string

const (
	StateRunning      ServerState = "running"
	StateStopped      ServerState = "stopped"
	StateSpawnPending ServerState = "spawn pending"
	StateStopPending  ServerState = "stop pending"
)

// ServerInfo is one row of servers/list.
type ServerInfo struct {
	Name         string      `json:"name"` // "" is the default server
	State        ServerState `json:"state"`
	URL          string      `json:"url,omitempty"`
	LastActivity string      `json:"lastActivity,omitempty"` // RFC 3339
	// Alias is the ssh host hubssh wrote for it, if any.
	Alias string `json:"alias,omitempty"`
}

// ServersListResult answers servers/list.
type ServersListResult struct {
	Servers []ServerInfo `json:"servers"`
}

// PrepareResult answers connect/prepare: open "ssh ALIAS" (or
// vscode-remote://ssh-remote+ALIAS/FOLDER).
type PrepareResult struct {
	Hub    string `json:"hub"`
	User   string `json:"user"`
	Server string `json:"server"`
	Alias  string `json:"alias"`
	Folder string `json:"folder"`
	// SSHConfig is the ssh config file hubssh edited; pass it with -F when
	// ssh might read another one (a different HOME).
	SSHConfig string `json:"sshConfig"`
}

// CheckStatus grades one check.
type CheckStatus string

const (
	StatusOK   CheckStatus = "ok"
	StatusWarn CheckStatus = "warn"
	StatusFail CheckStatus = "fail"
)

// Check is one check of diagnose.
type Check struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
	// Fix is present when there is something to do.
	Fix string `json:"fix,omitempty"`
}

// DiagnoseResult answers diagnose.
type DiagnoseResult struct {
	Checks []Check `json:"checks"`
}

// ProgressParams is a $/progress notification.
type ProgressParams struct {
	Token any           `json:"token" ts:"string | number"`
	Value ProgressValue `json:"value"`
}

// ProgressValue is one step of a spawn, as the hub reports it.
type ProgressValue struct {
	Percentage int    `json:"percentage"`
	Message    string `json:"message"`
	Ready      bool   `json:"ready,omitempty"`
	Failed     bool   `json:"failed,omitempty"`
}

// CancelParams is $/cancelRequest.
type CancelParams struct {
	ID any `json:"id" ts:"string | number"`
}

// ConnectionState is where a resuming connection stands.
type ConnectionState string

const (
	ConnResuming ConnectionState = "resuming"
	ConnResumed  ConnectionState = "resumed"
	// ConnGone: the proxy that was resuming ended (resumed nothing, or
	// ssh was closed).
	ConnGone ConnectionState = "gone"
)

// ConnectionParams is a $/connection notification: an ssh connection
// through "hubssh proxy" broke and is being resumed (docs/resume.md), or
// is back, or its proxy ended. Healthy connections send none.
type ConnectionParams struct {
	Alias string          `json:"alias"`
	Label string          `json:"label"` // "alice's default server"
	State ConnectionState `json:"state"`
	Retry int             `json:"retry"`
	// Since is how long ago the connection broke, in seconds.
	Since   float64 `json:"since"`
	Message string  `json:"message"`
	// PID is the proxy's process: one alias may have several.
	PID int `json:"pid"`
}
