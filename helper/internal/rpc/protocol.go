// Package rpc is hubssh's JSON-RPC 2.0 front end ("hubssh serve"): the same
// core the CLI uses, for editors and CI scripts, over stdio with the
// Content-Length framing language servers use. docs/rpc.md documents every
// method; this file is the source of truth for names, params and codes.
package rpc

import (
	"github.com/hubssh/hubssh/helper/internal/core"
)

// ProtocolVersion changes when a method or type changes incompatibly.
const ProtocolVersion = 1

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
)

// Error codes: JSON-RPC's own, and one per core.Code in the range the
// JSON-RPC spec leaves to servers. error.data.kind carries the code's name.
const (
	CodeUsage     = -32001
	CodeAuth      = -32002
	CodeServer    = -32003
	CodeNetwork   = -32004
	CodeNotHub    = -32005
	CodeConfig    = -32006
	CodeCancelled = -32800 // as LSP's RequestCancelled
)

var coreCodes = map[core.Code]int64{
	core.CodeUsage:    CodeUsage,
	core.CodeAuth:     CodeAuth,
	core.CodeServer:   CodeServer,
	core.CodeNetwork:  CodeNetwork,
	core.CodeNotHub:   CodeNotHub,
	core.CodeConfig:   CodeConfig,
	core.CodeInternal: -32603,
}

// ErrorData is error.data.
type ErrorData struct {
	Kind core.Code `json:"kind"`
}

// VersionResult answers "version".
type VersionResult struct {
	Version  string `json:"version"`
	Protocol int    `json:"protocol"`
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
	Hub    string `json:"hub,omitempty"`
	User   string `json:"user,omitempty"`   // default: the token's owner
	Server string `json:"server,omitempty"` // default: the default server
	// ProgressToken, if set, makes the helper send $/progress
	// notifications with this token while the server starts.
	ProgressToken any `json:"progressToken,omitempty"`
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
	Options map[string]any `json:"options,omitempty"` // user_options for the spawner
}

// StopParams stops a server; Remove also deletes a named one.
type StopParams struct {
	ServerRef
	Remove bool `json:"remove,omitempty"`
}

// ProgressParams is a $/progress notification.
type ProgressParams struct {
	Token any           `json:"token"`
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
	ID any `json:"id"`
}
