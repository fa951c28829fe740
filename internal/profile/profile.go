// Package profile starts a CPU profile when a debug environment variable
// names a file, for the benchmarks' "where does the time go" (docs/benchmarks.md).
package profile

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// Start profiles the process into the file named by env, if set, and
// returns the function that stops and writes it.
func Start(env string) (stop func(), err error) {
	path := os.Getenv(env)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
