//go:build !windows

package core

import (
	"errors"
	"syscall"
)

// refused and reset name the errors of a connection refused or reset; on
// Windows Winsock has numbers of its own (errno_windows.go).
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func reset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
