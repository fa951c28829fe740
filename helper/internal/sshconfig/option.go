package sshconfig

import (
	"fmt"
	"regexp"
	"strings"
)

// Option is one ssh_config keyword and its value that a user wants on
// every hubssh host (the extension's "hubssh.sshOptions" setting), such as
// ForwardAgent yes or SetEnv.
type Option struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

var keyRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// ownKeywords are the keywords hubssh itself sets on every host. A user's
// value would be ignored (OpenSSH keeps the first value it reads) or, for
// the ones that route, authenticate and verify the connection, would undo
// what makes it safe; refusing says so instead of failing later.
var ownKeywords = map[string]bool{
	"hostname": true, "proxycommand": true, "proxyjump": true, "identityfile": true,
	"identitiesonly": true, "userknownhostsfile": true, "hostkeyalias": true,
	"stricthostkeychecking": true, "serveraliveinterval": true, "serveralivecountmax": true,
	"connecttimeout": true, "ciphers": true, "host": true, "match": true, "include": true,
	"localcommand": true, "permitlocalcommand": true, "knownhostscommand": true,
	"globalknownhostsfile": true, "proxyusefdpass": true,
}

// Check refuses an option the managed file cannot carry: not a keyword,
// one hubssh sets itself, or a value that would end the line or start a
// new block.
func (o Option) Check() error {
	if !keyRe.MatchString(o.Key) {
		return fmt.Errorf("ssh option %q: not an ssh_config keyword (letters and digits, e.g. ForwardAgent)", o.Key)
	}
	if ownKeywords[strings.ToLower(o.Key)] {
		return fmt.Errorf("ssh option %s: hubssh sets it for its hosts; remove it from the extra options", o.Key)
	}
	v := strings.TrimSpace(o.Value)
	if v == "" || v != o.Value {
		return fmt.Errorf("ssh option %s: give a value without leading or trailing spaces", o.Key)
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("ssh option %s: the value must be one line", o.Key)
	}
	return nil
}

// ParseOptions turns "Key=Value" or "Key Value" strings into checked options.
func ParseOptions(in []string) ([]Option, error) {
	var out []Option
	for _, s := range in {
		// As ssh_config: the keyword ends at the first "=" or space.
		s = strings.TrimSpace(s)
		i := strings.IndexAny(s, "= \t")
		if i < 0 {
			return nil, fmt.Errorf("ssh option %q: write Key=Value, e.g. ForwardAgent=yes", s)
		}
		v := strings.TrimSpace(s[i+1:])
		if s[i] != '=' {
			v = strings.TrimSpace(strings.TrimPrefix(v, "="))
		}
		o := Option{Key: s[:i], Value: v}
		if err := o.Check(); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
