// Package cli is hubssh's command line: parsing, wiring and the one-line
// messages a person reads. The work itself lives in domain packages.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hubssh/hubssh/internal/version"
)

// Exit codes are part of the interface: scripts and the editor extension
// branch on them. Documented in docs/cli.md.
const (
	ExitOK      = 0
	ExitError   = 1 // anything not below
	ExitUsage   = 2 // bad flags or arguments
	ExitAuth    = 3 // no token, token rejected, or no access
	ExitServer  = 4 // the user's server is not running or has no hubsshd
	ExitNetwork = 5 // the hub cannot be reached or the tunnel broke
)

// Stdio are the three standard streams. In proxy mode Out carries SSH bytes
// only; every message goes to Err.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Env reads an environment variable; os.Getenv in main, a map in tests.
type Env func(string) string

// TokenEnv holds the hub token for proxy mode. Never put a token on a
// command line: it would show in ps and in the ssh config.
const TokenEnv = "HUBSSH_TOKEN"

// exitError is an error with the exit code it maps to. Its message is one
// line that says what went wrong and what to do.
type exitError struct {
	code  int
	msg   string
	quiet bool // the code is ssh's own; it already said why
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

const usage = `usage: hubssh <command> [flags]

commands:
  login       remember a hub and its token: hubssh login https://hub.example.org
  connect     start your server if needed, set up ssh, and log in (or --prepare-only)
  proxy       carry an ssh connection (the ProxyCommand hubssh writes)
  servers     list your servers and their state
  start       start a server (--server NAME, --option key=value), showing progress
  stop        stop a server
  ssh-config  show (--dry-run), rewrite or --remove hubssh's lines in ~/.ssh/config
  doctor      check everything a connection depends on, and say how to fix what is wrong
  serve       speak JSON-RPC on stdin/stdout, for editors and scripts (docs/rpc.md)
  logout      forget a hub, its token and its ssh config entries
  version     print the version

Run "hubssh <command> -h" for a command's flags.`

// Main runs hubssh with args (without the program name) and returns the exit
// code.
func Main(ctx context.Context, args []string, f *Factory) int {
	stdio := f.IO
	if len(args) == 0 {
		fmt.Fprintln(stdio.Err, usage)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "proxy":
		err = runProxy(ctx, f, args[1:])
	case "login":
		err = runLogin(ctx, f, args[1:])
	case "logout":
		err = runLogout(ctx, f, args[1:])
	case "connect":
		err = runConnect(ctx, f, args[1:])
	case "ssh-config":
		err = runSSHConfig(ctx, f, args[1:])
	case "servers":
		err = runServers(ctx, f, args[1:])
	case "start":
		err = runStartStop(ctx, f, true, args[1:])
	case "stop":
		err = runStartStop(ctx, f, false, args[1:])
	case "serve":
		err = runServe(ctx, f, args[1:])
	case "doctor":
		err = runDoctor(ctx, f, args[1:])
	case "version", "--version", "-version":
		fmt.Fprintln(stdio.Out, "hubssh", version.Version)
	case "help", "-h", "--help":
		fmt.Fprintln(stdio.Out, usage)
	default:
		err = fail(ExitUsage, "unknown command %q; run \"hubssh help\" for the list", args[0])
	}
	return report(err, stdio.Err)
}

func report(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.quiet {
			fmt.Fprintln(stderr, "hubssh:", oneLine(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "hubssh:", oneLine(err.Error()))
	return ExitError
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hubssh "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses flags wherever they stand among the arguments, as
// people type them ("hubssh login URL --token-stdin"): Go's flag package
// stops at the first non-flag. It returns the other arguments in order;
// those after a "--" are taken as they are.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return append(rest, tail...), nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// first is the first positional argument, or "".
func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
