package authkeys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"

	"github.com/hubssh/hubssh/internal/atomicfile"
)

// KeyFile is the authorized_keys file hubssh manages (keys deployed through
// the control API), kept apart from the user's own ~/.ssh/authorized_keys so
// hubssh never rewrites a file the user edits.
type KeyFile struct {
	Path string
}

// ParseOne parses a single public key line as a client submits it. Options
// are refused: the SSH server does not enforce them.
func ParseOne(line string) (ssh.PublicKey, string, error) {
	line = strings.TrimSpace(line)
	if strings.ContainsAny(line, "\r\n") {
		return nil, "", errors.New("one public key line expected, got several lines")
	}
	pk, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, "", fmt.Errorf("not an OpenSSH public key line (like the content of id_ed25519.pub): %w", err)
	}
	if len(options) > 0 || len(bytes.TrimSpace(rest)) > 0 {
		return nil, "", errors.New("the key line must not carry options")
	}
	return pk, comment, nil
}

// lock takes an exclusive lock shared with every process editing the file
// (two servers of one user share a home).
func (k KeyFile) lock() (func(), error) {
	f, err := os.OpenFile(k.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", k.Path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", k.Path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func (k KeyFile) read() ([]byte, error) {
	b, err := os.ReadFile(k.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// List returns the managed keys.
func (k KeyFile) List() ([]AuthorizedKey, error) {
	b, err := k.read()
	if err != nil {
		return nil, err
	}
	keys, _ := Parse(k.Path, b)
	return keys, nil
}

// Add appends a key unless it is there already; added says which.
func (k KeyFile) Add(pk ssh.PublicKey, comment string) (added bool, err error) {
	unlock, err := k.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	old, err := k.read()
	if err != nil {
		return false, err
	}
	keys, _ := Parse(k.Path, old)
	for _, e := range keys {
		if bytes.Equal(e.Key.Marshal(), pk.Marshal()) {
			return false, nil
		}
	}
	line := bytes.TrimSpace(ssh.MarshalAuthorizedKey(pk))
	if comment = strings.TrimSpace(comment); comment != "" {
		line = append(append(line, ' '), comment...)
	}
	out := old
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(append(out, line...), '\n')
	return true, atomicfile.Write(k.Path, out, 0o600)
}

// Remove drops the key with this SHA256 fingerprint; removed is false when
// it was not there.
func (k KeyFile) Remove(fingerprint string) (removed bool, err error) {
	unlock, err := k.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	old, err := k.read()
	if err != nil {
		return false, err
	}
	var out []byte
	for _, line := range bytes.SplitAfter(old, []byte("\n")) {
		pk, _, _, _, perr := ssh.ParseAuthorizedKey(line)
		if perr == nil && ssh.FingerprintSHA256(pk) == fingerprint {
			removed = true
			continue
		}
		out = append(out, line...)
	}
	if !removed {
		return false, nil
	}
	return true, atomicfile.Write(k.Path, out, 0o600)
}
