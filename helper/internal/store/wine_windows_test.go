//go:build windows

package store

// Wine runs this package's Windows tests (scripts/test-windows).
import _ "github.com/hubssh/hubssh/internal/winetest"
