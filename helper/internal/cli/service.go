package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hubssh/hubssh/helper/internal/core"
	"github.com/hubssh/hubssh/helper/internal/sshconfig"
	"github.com/hubssh/hubssh/helper/internal/store"
)

// Factory is what commands take from the world: the streams, the
// environment, the core service, the browser and subprocesses. main makes
// the real one with NewFactory; tests build their own (a service on a temp
// directory and a fake hub, a browser that records), as gh's cmdutil.Factory.
type Factory struct {
	IO  Stdio
	Env Env
	// Service wires the core; each command calls it once.
	Service func() (*core.Service, error)
	// OpenBrowser shows a page in the user's browser (login --web).
	OpenBrowser func(url string) error
	// Command makes a subprocess (ssh, for connect).
	Command func(ctx context.Context, name string, args ...string) *exec.Cmd
}

// NewFactory is the production wiring.
func NewFactory(stdio Stdio, env Env) *Factory {
	return &Factory{
		IO:          stdio,
		Env:         env,
		Service:     func() (*core.Service, error) { return newService(env, stdio.Err) },
		OpenBrowser: openBrowser,
		Command:     exec.CommandContext,
	}
}

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
		StatusDir:  filepath.Join(dir, "status"),
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
