package cli

import (
	"context"
	"strings"

	"github.com/hubssh/hubssh/helper/internal/core"
)

func parseProxy(args []string, stdio Stdio) (core.ProxyTarget, error) {
	var pt core.ProxyTarget
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") {
		pt.Alias = args[0]
		return pt, nil
	}
	fs := newFlagSet("proxy", stdio.Err)
	fs.StringVar(&pt.Hub, "hub", "", "the hub's URL, e.g. https://hub.example.org (required)")
	fs.StringVar(&pt.User, "user", "", "whose server (default: the token's owner)")
	fs.StringVar(&pt.Server, "server", "", "a named server (default: the default server)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return pt, err
	}
	if len(rest) > 0 {
		return pt, fail(ExitUsage, "proxy takes a host alias or flags, not both; got %q", rest[0])
	}
	if pt.Hub == "" {
		return pt, fail(ExitUsage, "proxy needs a host alias (hubssh proxy ALIAS) or --hub URL, e.g. --hub https://hub.example.org")
	}
	return pt, nil
}

// runProxy is the ssh ProxyCommand: stdin/stdout become the SSH stream to
// hubsshd in the user's server. Nothing but SSH bytes may reach stdout.
// "hubssh proxy ALIAS" is what hubssh writes into the ssh config; the flag
// form (--hub, --user, --server) works for a hub logged in to, or with the
// token in HUBSSH_TOKEN. Both are core.Proxy: one path, one set of
// messages and exit codes (docs/cli.md).
func runProxy(ctx context.Context, f *Factory, args []string) error {
	stdio := f.IO
	pt, err := parseProxy(args, stdio)
	if err != nil {
		return err
	}
	svc, err := f.Service()
	if err != nil {
		return err
	}
	defer svc.Close()
	return asExit(svc.Proxy(ctx, pt, stdio.In, stdio.Out, progressPrinter(stdio.Err)))
}
