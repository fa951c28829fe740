// Package sshconfig manages hubssh's part of the user's OpenSSH
// configuration: one file hubssh writes whole (the Host entries), and two
// lines at the top of ~/.ssh/config that include it. The edits are pure
// functions from old bytes to new bytes; Apply and Remove do the I/O.
//
// Promise to the user: every byte of their own config stays as it was, and
// removing hubssh's lines gives back the file byte for byte.
package sshconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// marker is the comment line above the Include; it names the tool and how
// to undo it, for a person reading their config.
const marker = "# Added by hubssh (JupyterHub over SSH). Remove both lines with: hubssh ssh-config --remove"

// includeLine is the Include for the managed file. Quoted and with forward
// slashes, so Windows paths survive OpenSSH and open-remote-ssh alike.
func includeLine(managed string) (string, error) {
	p, err := configPath(managed)
	if err != nil {
		return "", err
	}
	return `Include "` + p + `"`, nil
}

// lineEnding is the file's own: CRLF if its first line ends so.
func lineEnding(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i > 0 && b[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// AddInclude returns the user's config with hubssh's Include of managed
// before the first Host or Match line, where it applies to every host (an
// Include after one applies only inside that block). An Include of ours
// that is already effective stays where it is, even below comments the
// user added; otherwise ours goes to the very top.
func AddInclude(old []byte, managed string) (out []byte, changed bool, err error) {
	inc, err := includeLine(managed)
	if err != nil {
		return nil, false, err
	}
	if effectiveLine(old, inc) {
		return old, false, nil
	}
	nl := lineEnding(old)
	block := marker + nl + inc + nl
	// Lines we wrote earlier somewhere else (the user moved them, or an
	// older hubssh) are taken out first, so there is one copy, on top.
	rest := RemoveInclude(old, managed)
	return append([]byte(block), rest...), true, nil
}

// effectiveLine reports whether line occurs before the first Host/Match.
func effectiveLine(cfg []byte, line string) bool {
	for _, l := range bytes.Split(cfg, []byte("\n")) {
		t := strings.TrimRight(string(l), "\r")
		if t == line {
			return true
		}
		if kw, _ := keyword(t); kw == "host" || kw == "match" {
			return false
		}
	}
	return false
}

// RemoveInclude drops hubssh's marker and Include lines wherever they are,
// and nothing else.
func RemoveInclude(old []byte, managed string) []byte {
	inc, err := includeLine(managed)
	if err != nil {
		return old
	}
	var out []byte
	for _, line := range bytes.SplitAfter(old, []byte("\n")) {
		t := strings.TrimRight(string(line), "\r\n")
		if t == marker || t == inc {
			continue
		}
		out = append(out, line...)
	}
	if out == nil && old != nil {
		return []byte{}
	}
	return out
}

// IncludeStatus says where the user's config includes the managed file.
type IncludeStatus int

const (
	IncludeMissing   IncludeStatus = iota // no Include of the managed file
	IncludeEffective                      // before the first Host/Match: applies to all hosts
	IncludeShadowed                       // only after a Host/Match line: applies to that block only
)

// FindInclude reports whether and where cfg includes managed.
func FindInclude(cfg []byte, managed string) (IncludeStatus, error) {
	want, err := configPath(managed)
	if err != nil {
		return IncludeMissing, err
	}
	inBlock := false
	for _, line := range bytes.Split(cfg, []byte("\n")) {
		kw, args := keyword(string(line))
		switch kw {
		case "host", "match":
			inBlock = true
		case "include":
			for _, a := range args {
				if a == want || a == managed {
					if inBlock {
						return IncludeShadowed, nil
					}
					return IncludeEffective, nil
				}
			}
		}
	}
	return IncludeMissing, nil
}

// keyword splits a config line into its lower-case keyword and arguments,
// with OpenSSH's "Keyword=value" form and double quotes.
func keyword(line string) (string, []string) {
	line = strings.TrimSpace(strings.TrimRight(line, "\r"))
	if line == "" || line[0] == '#' {
		return "", nil
	}
	kw, rest, _ := strings.Cut(line, " ")
	if i := strings.IndexAny(kw, "=\t"); i >= 0 {
		kw, rest = line[:i], line[i+1:]
	}
	rest = strings.TrimLeft(strings.TrimSpace(rest), "=")
	return strings.ToLower(kw), splitQuoted(rest)
}

// splitQuoted splits on whitespace, grouping double-quoted runs.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQ, have = !inQ, true
		case (r == ' ' || r == '\t') && !inQ:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// errBadPath is a path hubssh cannot write into a config safely.
func errBadPath(p, why string) error {
	return fmt.Errorf("path %q %s; install hubssh, or set HOME, somewhere without it", p, why)
}
