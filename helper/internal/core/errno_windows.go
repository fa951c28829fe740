package core

import (
	"errors"
	"syscall"
)

// Winsock reports its own error numbers: a refused connection is
// WSAECONNREFUSED (10061), not ECONNREFUSED, and errors.Is does not map one
// to the other. Without this, hubssh on Windows named no cause for a hub
// that is down and never waited out a proxy restart (found running the
// Windows build's tests under Wine, #14).
const wsaeconnrefused syscall.Errno = 10061

func refused(err error) bool {
	return errors.Is(err, wsaeconnrefused) || errors.Is(err, syscall.ECONNREFUSED)
}

func reset(err error) bool {
	return errors.Is(err, syscall.WSAECONNRESET) || errors.Is(err, syscall.WSAECONNABORTED) || errors.Is(err, syscall.ECONNRESET)
}
