// Package jspsocket listens on the unix socket jupyter-server-proxy hands
// a process it starts ({unix_socket}), and tidies up after it.
package jspsocket

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// jspDirPrefix names the directory jupyter-server-proxy makes with
// tempfile.mkdtemp for each {unix_socket} it hands out. It never removes
// it, so every server start left two empty directories in the server's
// /tmp — they pile up on hubs whose servers share a host (local process,
// systemd and batch spawners). hubsshd removes its own directory when it
// stops. simpervisor restarts a process that dies with the same command,
// so the path comes back: Listen then makes the directory again, 0700.
const jspDirPrefix = "jupyter-server-proxy-"

// Listen listens on path (0600). For a socket in a directory made
// by jupyter-server-proxy, it (re)makes the directory when missing,
// refuses one another user could write to, and removes it on Close.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	jspDir := strings.HasPrefix(filepath.Base(dir), jspDirPrefix)
	if jspDir {
		if err := privateDir(dir, os.Getuid()); err != nil {
			return nil, err
		}
	}
	// A socket left by a crashed earlier run would make listen fail.
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	if jspDir {
		return &dirListener{Listener: ln, dir: dir}, nil
	}
	return ln, nil
}

// privateDir makes dir (0700) unless it exists, and accepts it only when
// it is a directory of user uid that nobody else can write to: the
// control socket receives hub tokens, and whoever can write to its
// directory can put their own socket there.
func privateDir(dir string, uid int) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("make socket directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case !st.IsDir():
		return fmt.Errorf("socket directory %s is not a directory (a symlink?); remove it and restart the server", dir)
	case !ok || int(sys.Uid) != uid:
		return fmt.Errorf("socket directory %s belongs to another user; remove it and restart the server", dir)
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("socket directory %s is writable by others (mode %v); remove it and restart the server", dir, st.Mode().Perm())
	}
	return nil
}

// dirListener removes its directory after the socket (net.UnixListener
// unlinks that on Close). os.Remove leaves a directory that is not empty.
// Every Close returns only once the first has finished: Accept fails as
// soon as the descriptor closes, and a server returning then, its
// process exiting, would leave the socket and directory behind.
type dirListener struct {
	net.Listener
	dir  string
	once sync.Once
	err  error
}

func (l *dirListener) Close() error {
	l.once.Do(func() {
		l.err = l.Listener.Close()
		os.Remove(l.dir)
	})
	return l.err
}
