package resume

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests: every
// attachment's reader and writer must end with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
