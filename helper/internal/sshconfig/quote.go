package sshconfig

import (
	"strings"
)

// configPath prepares a file path for the ssh config: forward slashes
// (Windows accepts them; open-remote-ssh's tokenizer eats backslashes as
// escapes), and no character that a quoted config argument cannot carry.
func configPath(p string) (string, error) {
	p = strings.ReplaceAll(p, `\`, "/")
	if strings.ContainsAny(p, "\"\r\n") {
		return "", errBadPath(p, "contains a quote or a line break")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "", errBadPath(p, "contains a control character")
		}
	}
	// OpenSSH expands %-tokens in ProxyCommand, IdentityFile and
	// UserKnownHostsFile; open-remote-ssh expands only some. A literal %
	// cannot be written so that both read it back.
	if strings.Contains(p, "%") {
		return "", errBadPath(p, "contains %")
	}
	return p, nil
}

// quoteArg quotes one argument for a config value: always in double quotes
// when it has a space, else bare (both tokenizers agree on bare words
// without quotes, backslashes or %).
func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}
