//go:build !linux

package bench

import "time"

// CPU needs /proc; elsewhere it reports nothing.
func CPU(pid int, tree bool) time.Duration { return 0 }

// PPID needs /proc; elsewhere it reports nothing.
func PPID(pid int) int { return 0 }
