package sshd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package if goroutines outlive the tests: every
// connection, session, forward and agent socket must end with its
// connection.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		if leaked := waitGoroutines(before, 5*time.Second); leaked != "" {
			fmt.Fprintln(os.Stderr, "goroutines left after all tests:\n"+leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitGoroutines(base int, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		if runtime.NumGoroutine() <= base {
			return ""
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			var ours []string
			for _, g := range strings.Split(stacks, "\n\n") {
				if strings.Contains(g, "hubssh/server") {
					ours = append(ours, g)
				}
			}
			if len(ours) == 0 {
				return "" // only runtime or testing goroutines
			}
			return strings.Join(ours, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
