// Package winetest adapts Windows test binaries to Wine, where
// scripts/test-windows runs them. Test files import it for its side
// effect; nothing else may.
//
// Go 1.26 deletes files with NtSetInformationFile(FileDispositionInformationEx)
// and falls back to the older call only for the three statuses real Windows
// versions answer when they lack it. Wine 8.0 answers STATUS_NOT_IMPLEMENTED,
// so os.RemoveAll, and with it every t.TempDir cleanup, fails with "Invalid
// function". Go's own hook for testing that fallback turns it on under Wine
// (HUBSSH_WINE set); on Windows itself nothing changes. Linking to it needs
// -ldflags=-checklinkname=0, which scripts/test-windows passes.
package winetest

import (
	"os"
	_ "unsafe" // go:linkname
)

//go:linkname deleteatFallback internal/syscall/windows.TestDeleteatFallback
var deleteatFallback bool

func init() {
	if os.Getenv("HUBSSH_WINE") != "" {
		deleteatFallback = true
	}
}
