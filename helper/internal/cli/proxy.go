package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hubssh/hubssh/helper/internal/tunnel"
	"github.com/hubssh/hubssh/internal/hubapi"
)

type proxyOptions struct {
	hub, user, server string
}

func parseProxy(args []string, stdio Stdio) (*proxyOptions, error) {
	o := &proxyOptions{}
	fs := newFlagSet("proxy", stdio.Err)
	fs.StringVar(&o.hub, "hub", "", "the hub's URL, e.g. https://hub.example.org (required)")
	fs.StringVar(&o.user, "user", "", "whose server (default: the token's owner)")
	fs.StringVar(&o.server, "server", "", "a named server (default: the default server)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fail(ExitUsage, "proxy takes a host alias or flags, got %q after the flags", fs.Arg(0))
	}
	if o.hub == "" {
		return nil, fail(ExitUsage, "proxy needs --hub URL, e.g. --hub https://hub.example.org")
	}
	return o, nil
}

// runProxy is the ssh ProxyCommand: stdin/stdout become the SSH stream to
// hubsshd in the user's server. Nothing but SSH bytes may reach stdout.
// "hubssh proxy ALIAS" is what hubssh writes into the ssh config; the flag
// form (--hub, --user, --server, token in HUBSSH_TOKEN) needs no login.
func runProxy(ctx context.Context, args []string, stdio Stdio, env Env) error {
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") {
		svc, err := newService(env, stdio.Err)
		if err != nil {
			return err
		}
		return asExit(svc.Proxy(ctx, args[0], stdio.In, stdio.Out, progressPrinter(stdio.Err)))
	}
	o, err := parseProxy(args, stdio)
	if err != nil {
		return err
	}
	base, err := hubapi.ParseHubURL(o.hub)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}
	token := env(TokenEnv)
	if token == "" {
		return fail(ExitAuth, "no hub token: create one at %shub/token and put it in the %s environment variable", base, TokenEnv)
	}
	api := hubapi.NewClient(base, token, nil)
	if o.user == "" {
		u, err := api.CurrentUser(ctx)
		if err != nil {
			return explainAPIError(base, err)
		}
		o.user = u.Name
	}
	wsURL := hubapi.WebsocketURL(base, o.user, o.server)
	c, err := tunnel.Dial(ctx, wsURL, token, nil)
	if err != nil {
		return explainDialFailure(ctx, api, o.user, o.server, err)
	}
	if err := tunnel.Pipe(ctx, c, stdio.In, stdio.Out, tunnel.Options{}); err != nil {
		if ctx.Err() != nil {
			return nil // ssh hung us up: its normal way to end
		}
		return fail(ExitNetwork, "connection to %s lost: %v", serverLabel(o.user, o.server), err)
	}
	return nil
}

// explainDialFailure turns a refused websocket upgrade into the one cause a
// person can act on, asking the hub API what state things are in.
func explainDialFailure(ctx context.Context, api *hubapi.Client, user, server string, dialErr error) error {
	base := api.Base()
	var he *tunnel.HandshakeError
	if !errors.As(dialErr, &he) || he.Status == 0 {
		return fail(ExitNetwork, "cannot reach the hub at %s: %v", base, rootCause(dialErr))
	}
	if _, err := api.CurrentUser(ctx); err != nil {
		return explainAPIError(base, err)
	}
	u, err := api.User(ctx, user)
	if err != nil {
		if hubapi.IsStatus(err, http.StatusForbidden, http.StatusNotFound) {
			return fail(ExitAuth, "this token has no access to %s's servers (or there is no such user); use a token of %s or of an admin", user, user)
		}
		return explainAPIError(base, err)
	}
	s := u.Servers[server]
	if !s.Running() {
		state := "is not running"
		if s != nil && s.Pending != nil && *s.Pending != "" {
			state = fmt.Sprintf("is busy (%s pending)", *s.Pending)
		}
		return fail(ExitServer, "%s %s: start it from %shub/home, then connect again", serverLabel(user, server), state, base)
	}
	return fail(ExitServer, "%s is running, but %s answered HTTP %d instead of a websocket: hubsshd is not installed in this server's image; ask your hub admin to install it (docs/hubsshd.md)",
		serverLabel(user, server), "/"+hubapi.SSHDPath(user, server), he.Status)
}

// explainAPIError maps a failed hub API call to a one-line cause and fix.
func explainAPIError(base *url.URL, err error) error {
	var nh *hubapi.NotHubError
	switch {
	case hubapi.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden):
		return fail(ExitAuth, "the hub rejected the token (it may have expired or been revoked): create a new one at %shub/token", base)
	case errors.As(err, &nh):
		return fail(ExitUsage, "%s does not look like a JupyterHub (%v): check the hub URL", base, nh)
	case errors.As(err, new(*hubapi.StatusError)):
		return fail(ExitError, "the hub refused: %v", err)
	default:
		return fail(ExitNetwork, "cannot reach the hub at %s: %v", base, rootCause(err))
	}
}

func serverLabel(user, server string) string {
	if server == "" {
		return fmt.Sprintf("%s's default server", user)
	}
	return fmt.Sprintf("%s's server %q", user, server)
}

// rootCause drops the layers of "Get URL: dial tcp: …" wrapping down to the
// part a person recognises, keeping it short.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
