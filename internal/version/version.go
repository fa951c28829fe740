// Package version holds the release version both binaries report. Release
// builds set it with -ldflags "-X github.com/hubssh/hubssh/internal/version.Version=v1.2.3".
package version

// Version is "dev" in builds from a checkout.
var Version = "dev"
