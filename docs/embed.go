// Package docs carries the documents code must agree with. The local hub
// harness (internal/devhub) installs hubsshd by the configuration block
// of hubsshd.md, so the end-to-end suite runs what admins copy and the two
// cannot drift apart (#16).
package docs

import _ "embed"

// HubsshdMD is docs/hubsshd.md.
//
//go:embed hubsshd.md
var HubsshdMD []byte
