package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
)

// newService wires the core from the environment: config dir, token store,
// the user's ssh config, and this binary's path for ProxyCommand lines.
func newService(env Env, stderr io.Writer) (*core.Service, error) {
	dir, err := store.DefaultDir(env)
	if err != nil {
		return nil, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("find your home directory: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find hubssh's own path: %w", err)
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	sec := &store.Secrets{Dir: dir}
	if env(store.NoKeyringEnv) != "" {
		sec.Keyring = store.NoKeyring{}
	}
	return &core.Service{
		Store:   &store.Store{Dir: dir},
		Secrets: sec,
		SSH: sshconfig.Files{
			User:   filepath.Join(home, ".ssh", "config"),
			Legacy: filepath.Join(home, ".ssh", "hubssh", "config"),
		},
		Hubssh:     self,
		Transport:  core.LocalhostTransport(),
		Notice:     func(s string) { fmt.Fprintln(stderr, "hubssh:", s) },
		Getenv:     env,
		RuntimeDir: store.RuntimeDir(env),
	}, nil
}

// codeExit maps core error codes to exit codes (docs/cli.md).
var codeExit = map[core.Code]int{
	core.CodeUsage:    ExitUsage,
	core.CodeNotHub:   ExitUsage,
	core.CodeAuth:     ExitAuth,
	core.CodeServer:   ExitServer,
	core.CodeNetwork:  ExitNetwork,
	core.CodeConfig:   ExitError,
	core.CodeInternal: ExitError,
}
