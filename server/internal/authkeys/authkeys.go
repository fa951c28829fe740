// Package authkeys reads authorized_keys files and edits the one hubssh
// manages. hubsshd's SSH server reads; its control API writes.
package authkeys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKey is one usable line of an authorized_keys file.
type AuthorizedKey struct {
	Key     ssh.PublicKey
	Comment string
	Source  string // "file:line", for the log
}

// Parse reads authorized_keys content. Lines that are empty,
// comments or unparsable are skipped with a note in problems. A key that
// carries options (restrict, command=, from=, …) is refused, not used
// without them: hubsshd does not enforce options yet, and silently dropping a
// restriction would grant more than its owner wrote.
func Parse(name string, data []byte) (keys []AuthorizedKey, problems []string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		pk, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(text))
		where := fmt.Sprintf("%s:%d", name, line)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a public key, skipped", where))
			continue
		}
		if len(options) > 0 {
			problems = append(problems, fmt.Sprintf("%s: key %s has options %q that hubsshd does not enforce; key refused (remove the options to use it)",
				where, ssh.FingerprintSHA256(pk), strings.Join(options, ",")))
			continue
		}
		keys = append(keys, AuthorizedKey{Key: pk, Comment: comment, Source: where})
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", name, err))
	}
	return keys, problems
}

// Load reads every file in paths, freshly on each call so a key
// added a moment ago works at once. Missing files are normal.
func Load(paths []string) (keys []AuthorizedKey, problems []string) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		// A file anyone can write lets anyone add a key. OpenSSH's
		// StrictModes also rejects group-writable files; inside a
		// JupyterHub container homes are often group-writable by design
		// (fsGroup), so only world-writable is refused here.
		if st.Mode().Perm()&0o002 != 0 {
			problems = append(problems, fmt.Sprintf("%s is world-writable, ignored; run: chmod 600 %s", p, p))
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		k, pr := Parse(p, data)
		keys = append(keys, k...)
		problems = append(problems, pr...)
	}
	return keys, problems
}
