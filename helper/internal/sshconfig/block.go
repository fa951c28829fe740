// Package sshconfig manages hubssh's part of the user's OpenSSH
// configuration: one marked block at the top of ~/.ssh/config that holds
// the Host entries, rewritten whole. The edits are pure functions from old
// bytes to new bytes; Files plans and writes them.
//
// The entries live in ~/.ssh/config itself, not behind an Include, because
// paramiko (fabric and most Python SSH tools) and older JSch do not follow
// Include and could not find the aliases (#16).
//
// Promise to the user: every byte of their own config stays as it was, and
// removing hubssh's block gives back the file byte for byte.
package sshconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// The block's first and last lines. They name the tool and how to undo it,
// for a person reading their config; the edits find the block by them.
const (
	blockBegin = "# >>> hubssh: JupyterHub servers. hubssh rewrites this block whole (edits inside are lost); take it out with: hubssh ssh-config --remove"
	blockEnd   = "# <<< hubssh: end of hubssh's block"
)

// blockTail closes the block: "Host *" puts the user's lines below back in
// force for every host, as they were above any Host line before the block
// (OpenSSH and paramiko both read it so).
const blockTail = `
# The lines after this block are yours again, for every host:
Host *
`

// legacyMarker is the comment line above the Include that hubssh before
// the block wrote; its lines are taken out wherever they are.
const legacyMarker = "# Added by hubssh (JupyterHub over SSH). Remove both lines with: hubssh ssh-config --remove"

// legacyInclude is that older Include line for the managed file.
func legacyInclude(managed string) (string, error) {
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

// renderBlock wraps body (Render's output, "\n" line ends) in the markers,
// in the file's own line ending.
func renderBlock(body []byte, nl string) []byte {
	s := blockBegin + "\n" + string(body) + blockTail + blockEnd + "\n"
	if nl != "\n" {
		s = strings.ReplaceAll(s, "\n", nl)
	}
	return []byte(s)
}

// findBlock returns the byte range of hubssh's block, begin line to end
// line inclusive, or -1, -1 when there is none. A block cut short or given
// twice is an error: editing around it could lose the user's lines.
func findBlock(cfg []byte) (start, end int, err error) {
	start, end = -1, -1
	off := 0
	for _, line := range bytes.SplitAfter(cfg, []byte("\n")) {
		t := strings.TrimRight(string(line), "\r\n")
		switch t {
		case blockBegin:
			if start >= 0 {
				return 0, 0, fmt.Errorf("hubssh's block begins twice; delete both copies (from %q to %q) and run the command again", blockBegin[:12], blockEnd[:12])
			}
			start = off
		case blockEnd:
			if start < 0 || end >= 0 {
				return 0, 0, fmt.Errorf("hubssh's block has an end line %q without its begin line; delete that line and run the command again", blockEnd[:12])
			}
			end = off + len(line)
		}
		off += len(line)
	}
	if start >= 0 && end < 0 {
		return 0, 0, fmt.Errorf("hubssh's block begins but does not end (no line %q); delete it from %q on and run the command again", blockEnd, blockBegin[:12])
	}
	return start, end, nil
}

// SetBlock returns the user's config with hubssh's block holding body: in
// place when the block is there before any Host or Match line of the
// user's (who may have moved it below comments or global options), else on
// top, where OpenSSH gives its options precedence over the user's
// "Host *" (first value wins). Lines of the older Include form (legacy, the
// managed file's path) are taken out.
func SetBlock(old, body []byte, legacy string) ([]byte, error) {
	rest, err := removeLegacy(old, legacy)
	if err != nil {
		return nil, err
	}
	block := renderBlock(body, lineEnding(old))
	start, end, err := findBlock(rest)
	if err != nil {
		return nil, err
	}
	if start >= 0 && hostOrMatchIn(rest[:start]) {
		// Below a Host or Match line the user's options win: move it up.
		rest = append(append([]byte{}, rest[:start]...), rest[end:]...)
		start = -1
	}
	if start < 0 {
		return append(block, rest...), nil
	}
	out := append([]byte{}, rest[:start]...)
	out = append(out, block...)
	return append(out, rest[end:]...), nil
}

// RemoveBlock takes hubssh's block (and older Include lines) out, and
// nothing else.
func RemoveBlock(old []byte, legacy string) ([]byte, error) {
	rest, err := removeLegacy(old, legacy)
	if err != nil {
		return nil, err
	}
	start, end, err := findBlock(rest)
	if err != nil || start < 0 {
		return rest, err
	}
	return append(append([]byte{}, rest[:start]...), rest[end:]...), nil
}

// HasBlock reports whether cfg holds hubssh's block, whole.
func HasBlock(cfg []byte) (bool, error) {
	start, _, err := findBlock(cfg)
	return start >= 0, err
}

// hostOrMatchIn reports whether cfg has a Host or Match line (OpenSSH's
// "Keyword value" and "Keyword=value" forms, any case).
func hostOrMatchIn(cfg []byte) bool {
	for _, line := range strings.Split(string(cfg), "\n") {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '=' || r == '\r' })
		if len(f) > 0 && (strings.EqualFold(f[0], "host") || strings.EqualFold(f[0], "match")) {
			return true
		}
	}
	return false
}

// removeLegacy drops the older marker and Include lines wherever they are.
func removeLegacy(old []byte, legacy string) ([]byte, error) {
	if legacy == "" {
		return old, nil
	}
	inc, err := legacyInclude(legacy)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, line := range bytes.SplitAfter(old, []byte("\n")) {
		t := strings.TrimRight(string(line), "\r\n")
		if t == legacyMarker || t == inc {
			continue
		}
		out = append(out, line...)
	}
	if out == nil && old != nil {
		return []byte{}, nil
	}
	return out, nil
}

// errBadPath is a path hubssh cannot write into a config safely.
func errBadPath(p, why string) error {
	return fmt.Errorf("path %q %s; install hubssh, or set HOME, somewhere without it", p, why)
}
