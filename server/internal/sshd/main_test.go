package sshd

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if goroutines outlive the tests: every
// connection, session, forward and agent socket must end with its
// connection.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
