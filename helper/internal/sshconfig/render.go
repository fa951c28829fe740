package sshconfig

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Entry is one Host entry of hubssh's block: one server of one user on
// one hub.
type Entry struct {
	Alias        string   // the Host name users type: readable, stable, unique
	Comment      string   // one line above the block, e.g. the hub and server
	ProxyCommand []string // argv: the hubssh binary, then its arguments
	IdentityFile string
	KnownHosts   string // hubssh's own known_hosts, with the pinned host key
	// User is the server's account, for clients that do not default to
	// the local name (paramiko, sshj, GUI clients); "" writes none. The
	// user's own User in Extra wins.
	User  string
	Extra []Option // the user's own options for hubssh's hosts, after ours
}

// aliasRe is what an alias may look like: no spaces, wildcards, quotes or
// "%", so it is one token for every parser and never a pattern.
var aliasRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]*$`)

// userRe is what a User value may look like here: a POSIX account name
// (with the "@" and "." some directories use), one token for every parser.
var userRe = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._@-]*$`)

func hasOption(opts []Option, key string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.Key, key) {
			return true
		}
	}
	return false
}

// header starts the block's body.
const header = `# Options you set for these hosts below this block apply only where it
# sets nothing (OpenSSH keeps the first value).
`

// Render returns the body of hubssh's block for entries. Every entry carries the
// options DESIGN.md asks for: the ProxyCommand, the key, the pinned host
// key with strict checking, keepalives well under load-balancer idle
// timeouts, no connect timeout (a spawn can take minutes), and AES-GCM
// first (Go's AES-GCM outruns its chacha20 by 1.8×, docs/benchmarks.md).
func Render(entries []Entry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	seen := map[string]bool{}
	for _, e := range entries {
		if !aliasRe.MatchString(e.Alias) {
			return nil, fmt.Errorf("host alias %q: use letters, digits and . _ @ + -", e.Alias)
		}
		if seen[e.Alias] {
			return nil, fmt.Errorf("host alias %q appears twice", e.Alias)
		}
		seen[e.Alias] = true
		if len(e.ProxyCommand) == 0 {
			return nil, fmt.Errorf("host %q: no ProxyCommand", e.Alias)
		}
		var argv []string
		for i, a := range e.ProxyCommand {
			if i == 0 {
				p, err := configPath(a)
				if err != nil {
					return nil, err
				}
				// OpenSSH runs ProxyCommand with "sh -c" on Unix, where
				// double quotes do not stop $ and `.
				if strings.ContainsAny(p, "$`") {
					return nil, errBadPath(p, "has $ or ` that a shell would expand")
				}
				// Always quoted: the program path is where spaces live
				// ("C:/Program Files/…").
				argv = append(argv, `"`+p+`"`)
				continue
			}
			if strings.ContainsAny(a, "\"\\%\r\n") {
				return nil, fmt.Errorf("host %q: ProxyCommand argument %q has a character the config cannot carry", e.Alias, a)
			}
			argv = append(argv, quoteArg(a))
		}
		id, err := configPath(e.IdentityFile)
		if err != nil {
			return nil, err
		}
		kh, err := configPath(e.KnownHosts)
		if err != nil {
			return nil, err
		}
		b.WriteString("\n")
		if e.Comment != "" {
			b.WriteString("# " + strings.Join(strings.Fields(e.Comment), " ") + "\n")
		}
		fmt.Fprintf(&b, "Host %s\n", e.Alias)
		fmt.Fprintf(&b, "  ProxyCommand %s\n", strings.Join(argv, " "))
		fmt.Fprintf(&b, "  IdentityFile \"%s\"\n", id)
		b.WriteString("  IdentitiesOnly yes\n")
		fmt.Fprintf(&b, "  UserKnownHostsFile \"%s\"\n", kh)
		fmt.Fprintf(&b, "  HostKeyAlias %s\n", e.Alias)
		if e.User != "" && !hasOption(e.Extra, "user") {
			if !userRe.MatchString(e.User) {
				return nil, fmt.Errorf("host %q: server account %q is not a name the config can carry", e.Alias, e.User)
			}
			fmt.Fprintf(&b, "  User %s\n", e.User)
		}
		b.WriteString("  StrictHostKeyChecking yes\n")
		// 60 s × 30: ssh must not give up on a connection hubssh is
		// resuming (hubsshd keeps a detached session 15 min unless its
		// admin says otherwise; docs/resume.md). hubssh proxy notices a
		// dead path itself, in 30 s.
		b.WriteString("  ServerAliveInterval 60\n")
		b.WriteString("  ServerAliveCountMax 30\n")
		b.WriteString("  ConnectTimeout 0\n")
		b.WriteString("  Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com\n")
		for _, o := range e.Extra {
			if err := o.Check(); err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "  %s %s\n", o.Key, o.Value)
		}
	}
	return b.Bytes(), nil
}
