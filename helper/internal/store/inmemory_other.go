//go:build !linux

package store

// inMemory: only Linux is known to keep its runtime directory in memory
// (macOS and Windows have none); elsewhere CI-mode tokens stay in each
// process's memory.
func inMemory(string) bool { return false }
