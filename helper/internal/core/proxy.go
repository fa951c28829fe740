package core

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/hubssh/hubssh/helper/internal/tunnel"
	"github.com/hubssh/hubssh/internal/hubapi"
)

// Proxy carries ssh's stdin/stdout for a host alias to the server's
// hubsshd, starting the server first if it is stopped (progress goes to
// the callback: stderr, which Remote-SSH shows in its log).
func (s *Service) Proxy(ctx context.Context, alias string, in io.Reader, out io.Writer, progress func(hubapi.Event)) error {
	st, err := s.Store.Load()
	if err != nil {
		return fail(CodeConfig, err, "%v", err)
	}
	h, srv := st.ByAlias(alias)
	if h == nil {
		return fail(CodeUsage, nil, "unknown host %q: run \"hubssh connect\" to set it up", alias)
	}
	api, _, err := s.api(h)
	if err != nil {
		return err
	}
	token := s.serverToken(ctx, api, h.URL, srv.User, srv.Name)
	wsURL := hubapi.WebsocketURL(api.Base(), srv.User, srv.Name)
	c, err := tunnel.Dial(ctx, wsURL, token, s.HTTP)
	if err != nil {
		var he *tunnel.HandshakeError
		if !errors.As(err, &he) || he.Status == 0 {
			return fail(CodeNetwork, err, "cannot reach %s: %v", h.URL, rootCause(err))
		}
		// Stopped (the culler, a restart): start it and try once more.
		if err := s.ensureRunning(ctx, api, h.URL, srv.User, srv.Name, nil, progress); err != nil {
			return err
		}
		if c, err = tunnel.Dial(ctx, wsURL, token, s.HTTP); err != nil {
			var he *tunnel.HandshakeError
			if errors.As(err, &he) && he.Status == http.StatusNotFound {
				return fail(CodeServer, err, "%s is running, but has no hubsshd: ask the hub's admin to install it (docs/hubsshd.md)", label(srv.User, srv.Name))
			}
			return fail(CodeServer, err, "%s is running, but its sshd did not answer (%v)", label(srv.User, srv.Name), err)
		}
	}
	if err := tunnel.Pipe(ctx, c, in, out, tunnel.Options{}); err != nil && ctx.Err() == nil {
		return fail(CodeNetwork, err, "connection to %s lost: %v", label(srv.User, srv.Name), err)
	}
	return nil
}

func rootCause(err error) error {
	if m := networkCause(err); m != "" {
		return errors.New(m)
	}
	return err
}
