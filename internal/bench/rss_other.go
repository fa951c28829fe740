//go:build !linux

package bench

// TreeRSS needs /proc; elsewhere memory is not measured.
func TreeRSS(int) int64 { return 0 }

// RSS needs /proc.
func RSS(int) int64 { return 0 }

// FindProcs needs /proc.
func FindProcs(func(string, string) bool) []int { return nil }
