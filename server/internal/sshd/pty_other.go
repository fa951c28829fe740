//go:build !linux

package sshd

import (
	"os"

	"github.com/creack/pty"
)

// openPTY opens a pty pair. Off Linux (hubsshd's development builds) the
// master is blocking (creack/pty uses File.Fd), so a session's pty is hung
// up only when its output next moves; servers run Linux (pty_linux.go).
func openPTY() (ptmx, tty *os.File, err error) { return pty.Open() }
