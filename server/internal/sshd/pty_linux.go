package sshd

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openPTY opens a pty pair whose master stays in Go's poller. creack/pty's
// Open asks for the slave's name through File.Fd, which turns the master
// blocking for good: a Read then sits in read(2), Close cannot interrupt it,
// and the descriptor stays open until the process writes again, so closing
// the pty when the session ends did not hang up its processes (a shell
// left behind each dropped ssh -t connection). Every ioctl here goes
// through SyscallConn instead.
func openPTY() (ptmx, tty *os.File, err error) {
	ptmx, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			ptmx.Close()
		}
	}()
	var n int
	if err := control(ptmx, func(fd int) (err error) {
		if err = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("unlockpt: %w", err)
		}
		n, err = unix.IoctlGetInt(fd, unix.TIOCGPTN)
		return err
	}); err != nil {
		return nil, nil, err
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	return ptmx, tty, nil
}
