package sshd

import (
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if goroutines outlive the tests: every
// connection, session, forward and agent socket must end with its
// connection.
//
// The test binary stands in for hubsshd, so it catches SIGHUP as hubsshd's
// main does: run under nohup, the commands it starts would ignore it, and
// TestPTYHungUpWithItsSession would test nohup, not hubsshd.
func TestMain(m *testing.M) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	goleak.VerifyTestMain(m)
}
