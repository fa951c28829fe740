// Package winetest holds what the tests need to run on Windows, and under
// Wine, where scripts/test-windows runs them: Perm for file modes, and (on
// Windows) a fix for Wine's file deletion, in winetest_windows.go.
package winetest

import (
	"io/fs"
	"runtime"
)

// Perm is the permission a file created with mode want shows on this OS.
// Windows has no Unix modes: Go reports 0666 (0777 for a directory) for any
// file that is not read-only, whatever mode it was created with; what
// protects hubssh's files there is the ACL they inherit from the user's
// profile directory, which os.Stat does not show.
func Perm(want fs.FileMode, dir bool) fs.FileMode {
	if runtime.GOOS != "windows" {
		return want
	}
	if dir {
		return 0o777
	}
	return 0o666
}
