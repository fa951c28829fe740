//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"testing"

	"github.com/hubssh/hubssh/internal/testutil"
)

// background runs ssh with args until the test ends.
func (c *client) background(t *testing.T, args ...string) *testutil.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ssh", append([]string{"-F", c.config}, args...)...)
	cmd.Env = c.env()
	stderr := &testutil.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return stderr
}
