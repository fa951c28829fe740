package cli

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests. Started
// with HUBSSH_TEST_HELPER_EXIT, the test binary is instead the stand-in
// for ssh that commands_test.go runs, and exits with that status.
func TestMain(m *testing.M) {
	if code := os.Getenv("HUBSSH_TEST_HELPER_EXIT"); code != "" {
		n, _ := strconv.Atoi(code)
		os.Exit(n)
	}
	goleak.VerifyTestMain(m)
}
