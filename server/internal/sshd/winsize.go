//go:build unix

package sshd

import (
	"os"

	"golang.org/x/sys/unix"
)

// setWinsize sets a pty's size without File.Fd, which would make the
// master blocking (pty_linux.go).
func setWinsize(f *os.File, cols, rows uint32) error {
	return control(f, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: clamp16(rows), Col: clamp16(cols)})
	})
}

// control runs f on the file's descriptor without taking it out of Go's
// poller.
func control(file *os.File, f func(fd int) error) error {
	sc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
