//go:build windows

package core

// Wine runs this package's Windows tests (scripts/test-windows).
import _ "github.com/hubssh/hubssh/internal/winetest"
